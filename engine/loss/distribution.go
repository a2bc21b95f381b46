package loss

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"

	"github.com/streamcast/streamcast/engine/tensor"
)

// Family selects the distribution of a Distribution loss.
type Family uint8

const (
	// Normal has output channels (loc, scale): μ = m·s + l,
	// σ = (softplus(r) + 0.2)·s.
	Normal Family = iota
	// StudentT has output channels (df, loc, scale): ν = 2 + softplus(a),
	// μ = m·s + l, σ = (softplus(r) + 0.1)·s.
	StudentT
)

// String returns the NeuralForecast distribution name.
func (f Family) String() string {
	switch f {
	case Normal:
		return "Normal"
	case StudentT:
		return "StudentT"
	}
	return fmt.Sprintf("Family(%d)", uint8(f))
}

// Distribution is NeuralForecast's DistributionLoss for the Normal and
// StudentT families: the model emits Outputs() raw channels per target,
// which are mapped to distribution parameters with NeuralForecast's
// domain map and scale decouple (the per-window scaler statistics l, s
// anchor the location and scale; l = 0, s = 1 without a scaler), and the
// loss is the negative log-likelihood of the target on the original scale,
//
//	L = Σ_{wᵢ≠0} wᵢ·(−log p(yᵢ | θᵢ)) / max(Σ wᵢ, 1).
//
// At prediction time Mean, Quantiles and Sample read the same raw outputs.
type Distribution struct {
	family Family
	eps    float64
	qs     []float64
	names  []string
}

// NewDistribution returns the distribution loss of family with prediction
// levels (percent) whose quantiles Predict reports (NeuralForecast's default
// levels [80, 90]).
func NewDistribution(family Family, levels []float64) (*Distribution, error) {
	d := &Distribution{family: family}
	switch family {
	case Normal:
		d.eps = 0.2
	case StudentT:
		d.eps = 0.1
	default:
		return nil, fmt.Errorf("loss: unknown distribution family %d", uint8(family))
	}
	qs, names, err := LevelQuantiles(levels)
	if err != nil {
		return nil, err
	}
	d.qs, d.names = qs, names
	return d, nil
}

// ParseFamily maps NeuralForecast's distribution names to a Family.
func ParseFamily(name string) (Family, error) {
	switch name {
	case "Normal":
		return Normal, nil
	case "StudentT":
		return StudentT, nil
	}
	return 0, fmt.Errorf("loss: distribution %q not supported (Normal, StudentT)", name)
}

// Name returns "DistributionLoss".
func (d *Distribution) Name() string { return "DistributionLoss" }

// Family returns the distribution family.
func (d *Distribution) Family() Family { return d.family }

// Outputs returns 2 for Normal and 3 for StudentT.
func (d *Distribution) Outputs() int {
	if d.family == StudentT {
		return 3
	}
	return 2
}

// Quantiles returns the quantiles Predict reports, median first.
func (d *Distribution) Quantiles() []float64 { return append([]float64(nil), d.qs...) }

// OutputNames returns NeuralForecast's prediction column suffixes: "" for
// the mean, then one per quantile.
func (d *Distribution) OutputNames() []string { return append([]string{""}, d.names...) }

// Forward returns the NLL without scaler anchoring (l = 0, s = 1).
func (d *Distribution) Forward(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor {
	return d.ForwardScaled(tp, yhat, y, mask, nil, nil)
}

// anchor returns the (loc, scale) that applies to target i of n: loc and
// scale are empty (0, 1), hold one value, one value per row of y (the first
// axis; each covers n/len consecutive targets) or one value per target.
func anchor(loc, scale []float32, i, per int) (float64, float64) {
	l, s := 0.0, 1.0
	if len(loc) > 0 {
		l = float64(loc[i/per])
	}
	if len(scale) > 0 {
		s = float64(scale[i/per])
	}
	return l, s
}

func anchorStride(name string, n int, v []float32) int {
	switch {
	case len(v) == 0:
		return 1
	case n%len(v) == 0:
		return n / len(v)
	}
	panic(fmt.Sprintf("loss: %s has %d values for %d targets (need a divisor of the target count)", name, len(v), n))
}

func strides(n int, loc, scale []float32) int {
	pl, ps := anchorStride("loc", n, loc), anchorStride("scale", n, scale)
	if len(loc) > 0 && len(scale) > 0 && pl != ps {
		panic(fmt.Sprintf("loss: %d loc values but %d scale values", len(loc), len(scale)))
	}
	if len(loc) > 0 {
		return pl
	}
	return ps
}

// softplus is torch's F.softplus (β = 1, threshold 20) and its derivative.
// One exp and one log: log(1 + e) loses nothing at float32 precision for
// e ≥ 1e-8, and below that softplus(x) = eˣ to double precision.
func softplus(x float64) (float64, float64) {
	if x > 20 {
		return x, 1
	}
	e := math.Exp(x)
	if x < -18 {
		return e, e
	}
	return math.Log(1 + e), e / (1 + e)
}

// params maps the raw outputs of target i to (ν, μ, σ) and the derivatives
// dν/da, dμ/dm, dσ/dr.
func (d *Distribution) params(raw []float32, l, s float64) (nu, mu, sigma, dnu, dmu, dsig float64) {
	if d.family == StudentT {
		a, da := softplus(float64(raw[0]))
		nu, dnu = 2+a, da
		raw = raw[1:]
	}
	mu, dmu = float64(raw[0])*s+l, s
	sp, dsp := softplus(float64(raw[1]))
	sigma, dsig = (sp+d.eps)*s, dsp*s
	return
}

const halfLog2Pi = 0.91893853320467274178 // ½·log(2π)
const halfLogPi = 0.57236494292470008707  // ½·log(π)

// nll returns −log p(y) and its derivatives with respect to ν, μ, σ.
func (d *Distribution) nll(y, nu, mu, sigma float64) (v, gnu, gmu, gsig float64) {
	z := (y - mu) / sigma
	if d.family == Normal {
		v = 0.5*z*z + math.Log(sigma) + halfLog2Pi
		return v, 0, -z / sigma, (1 - z*z) / sigma
	}
	z2 := z * z
	lg1, _ := math.Lgamma(0.5 * nu)
	lg2, _ := math.Lgamma(0.5 * (nu + 1))
	lp := math.Log1p(z2 / nu)
	v = 0.5*(nu+1)*lp + math.Log(sigma) + 0.5*math.Log(nu) + halfLogPi + lg1 - lg2
	r := (nu + 1) / (nu + z2)
	gmu = -r * z / sigma
	gsig = (1 - r*z2) / sigma
	gnu = 0.5*lp - 0.5*(nu+1)*z2/(nu*(nu+z2)) + 0.5/nu + 0.5*(mathext.Digamma(0.5*nu)-mathext.Digamma(0.5*(nu+1)))
	return
}

// ForwardScaled returns the NLL with scaler anchoring: loc and scale hold
// the scaler's per-window statistics (empty, one value, one per row of y,
// or one per target). They are constants: gradients flow into yhat only.
//
// Backward: the NLL derivatives w.r.t. (ν, μ, σ) chained through the
// domain maps (softplus′ = sigmoid) and the anchoring.
func (d *Distribution) ForwardScaled(tp *tensor.Tape, yhat, y, mask *tensor.Tensor, loc, scale []float32) *tensor.Tensor {
	return d.forward(tp, yhat, y, mask, loc, scale, nil, nil)
}

// ForwardAnchored is ForwardScaled with the anchoring statistics as tensors
// (same lengths as ForwardScaled's slices; either may be nil) that may
// require gradients, e.g. RevIN's affine-adjusted statistics from
// scaler.Scaler.AnchorTensors. With μ = m·s + l and σ = (softplus(r) + ε)·s:
//
//	∂L/∂l += Σ ∂L/∂μ,  ∂L/∂s += Σ (∂L/∂μ·m + ∂L/∂σ·(softplus(r) + ε))
func (d *Distribution) ForwardAnchored(tp *tensor.Tape, yhat, y, mask, loc, scale *tensor.Tensor) *tensor.Tensor {
	var l, s []float32
	if loc != nil {
		l = loc.Data
	}
	if scale != nil {
		s = scale.Data
	}
	return d.forward(tp, yhat, y, mask, l, s, loc, scale)
}

func (d *Distribution) forward(tp *tensor.Tape, yhat, y, mask *tensor.Tensor, loc, scale []float32, locT, scaleT *tensor.Tensor) *tensor.Tensor {
	k := d.Outputs()
	n, w := checkShapes(d.family.String(), k, yhat, y, mask)
	per := strides(n, loc, scale)
	out := tp.Result([]int{1}, yhat, locT, scaleT)
	rec := out.RequiresGrad()
	gl := rec && locT != nil && locT.RequiresGrad()
	gs := rec && scaleT != nil && scaleT.RequiresGrad()
	// The backward factors ∂nllᵢ/∂raw (and ∂nllᵢ/∂(l, s)) are computed with
	// the forward values and kept in tape scratch, so Backward only scales them.
	var dr, da []float32
	if rec {
		dr = tp.Scratch(n * k)
		if gl || gs {
			da = tp.Scratch(2 * n)
		}
	}
	var sum, sumW float64
	for i, yi := range y.Data[:n] {
		wi := 1.0
		if w != nil {
			if w[i] == 0 {
				continue
			}
			wi = float64(w[i])
		}
		l, s := anchor(loc, scale, i, per)
		raw := yhat.Data[i*k : i*k+k]
		nu, mu, sigma, dnu, dmu, dsig := d.params(raw, l, s)
		v, gnu, gmu, gsig := d.nll(float64(yi), nu, mu, sigma)
		sum += wi * v
		sumW += wi
		if !rec {
			continue
		}
		g := dr[i*k : i*k+k]
		if d.family == StudentT {
			g[0] = float32(wi * gnu * dnu)
			g = g[1:]
		}
		g[0] = float32(wi * gmu * dmu)
		g[1] = float32(wi * gsig * dsig)
		if da != nil {
			// μ = m·s + l, σ = (softplus(r) + ε)·s
			sp, _ := softplus(float64(raw[k-1]))
			da[2*i] = float32(wi * gmu)
			da[2*i+1] = float32(wi * (gmu*float64(raw[k-2]) + gsig*(sp+d.eps)))
		}
	}
	den := math.Max(sumW, 1)
	out.Data[0] = float32(sum / den)
	if rec {
		tp.Record(func() {
			c := float32(float64(out.Grad[0]) / den)
			if yhat.RequiresGrad() {
				g := yhat.Grad[:n*k]
				for j, v := range dr {
					g[j] += c * v
				}
			}
			for i := 0; i < len(da); i += 2 {
				if gl {
					locT.Grad[(i/2)/per] += c * da[i]
				}
				if gs {
					scaleT.Grad[(i/2)/per] += c * da[i+1]
				}
			}
		})
	}
	return out
}
