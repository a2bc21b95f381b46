package loss

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/streamcast/streamcast/engine/tensor"
)

// The prediction helpers read raw model outputs yhat (N×Outputs(), channel
// innermost) and the scaler anchoring loc/scale (as in ForwardScaled), and
// write into caller-owned dst buffers. Mean and exact quantiles replace
// NeuralForecast's sample-based estimates (1000 draws) by their limits.

func (d *Distribution) targets(yhat *tensor.Tensor, dst []float32, per int, what string) int {
	k := d.Outputs()
	if len(yhat.Data)%k != 0 {
		panic(fmt.Sprintf("loss: %s: %d outputs is not a multiple of %d channels", d.family, len(yhat.Data), k))
	}
	n := len(yhat.Data) / k
	if len(dst) != n*per {
		panic(fmt.Sprintf("loss: %s %s: dst has %d values, want %d×%d", d.family, what, len(dst), n, per))
	}
	return n
}

// DecodeParams writes the distribution parameters of every target into dst:
// (μ, σ) per target for Normal, (ν, μ, σ) for StudentT — NeuralForecast's
// return_params columns.
func (d *Distribution) DecodeParams(dst []float32, yhat *tensor.Tensor, loc, scale []float32) {
	k := d.Outputs()
	n := d.targets(yhat, dst, k, "DecodeParams")
	per := strides(n, loc, scale)
	for i := range n {
		l, s := anchor(loc, scale, i, per)
		nu, mu, sigma, _, _, _ := d.params(yhat.Data[i*k:i*k+k], l, s)
		o := dst[i*k : i*k+k]
		if d.family == StudentT {
			o[0] = float32(nu)
			o = o[1:]
		}
		o[0], o[1] = float32(mu), float32(sigma)
	}
}

// Mean writes the predictive mean μ of every target into dst (length N;
// StudentT's ν > 2 always, so its mean exists).
func (d *Distribution) Mean(dst []float32, yhat *tensor.Tensor, loc, scale []float32) {
	k := d.Outputs()
	n := d.targets(yhat, dst, 1, "Mean")
	per := strides(n, loc, scale)
	for i := range n {
		l, s := anchor(loc, scale, i, per)
		_, mu, _, _, _, _ := d.params(yhat.Data[i*k:i*k+k], l, s)
		dst[i] = float32(mu)
	}
}

// QuantilesAt writes the exact predictive quantiles qs (each in (0, 1)) of
// every target into dst (N×len(qs)): μ + σ·Φ⁻¹(q) for Normal and the
// Student-t inverse CDF (gonum distuv.StudentsT) for StudentT.
func (d *Distribution) QuantilesAt(dst []float32, yhat *tensor.Tensor, loc, scale []float32, qs []float64) error {
	if err := checkQuantiles(qs); err != nil {
		return err
	}
	k, nq := d.Outputs(), len(qs)
	n := d.targets(yhat, dst, nq, "QuantilesAt")
	per := strides(n, loc, scale)
	for i := range n {
		l, s := anchor(loc, scale, i, per)
		nu, mu, sigma, _, _, _ := d.params(yhat.Data[i*k:i*k+k], l, s)
		o := dst[i*nq : i*nq+nq]
		for j, q := range qs {
			if d.family == StudentT {
				o[j] = float32(distuv.StudentsT{Mu: mu, Sigma: sigma, Nu: nu}.Quantile(q))
			} else {
				o[j] = float32(mu + sigma*distuv.UnitNormal.Quantile(q))
			}
		}
	}
	return nil
}

// Predict writes NeuralForecast's prediction columns for every target into
// dst (N×(1+Q)): the mean, then the quantiles of Quantiles() (median
// first), matching OutputNames().
func (d *Distribution) Predict(dst []float32, yhat *tensor.Tensor, loc, scale []float32) {
	k, nq := d.Outputs(), len(d.qs)
	n := d.targets(yhat, dst, 1+nq, "Predict")
	per := strides(n, loc, scale)
	for i := range n {
		l, s := anchor(loc, scale, i, per)
		nu, mu, sigma, _, _, _ := d.params(yhat.Data[i*k:i*k+k], l, s)
		o := dst[i*(1+nq) : (i+1)*(1+nq)]
		o[0] = float32(mu)
		for j, q := range d.qs {
			if d.family == StudentT {
				o[1+j] = float32(distuv.StudentsT{Mu: mu, Sigma: sigma, Nu: nu}.Quantile(q))
			} else {
				o[1+j] = float32(mu + sigma*distuv.UnitNormal.Quantile(q))
			}
		}
	}
}

// Sample draws nSamples values from every target's predictive distribution
// into dst (N×nSamples, samples innermost) using rng, so a seeded rng gives
// reproducible samples.
func (d *Distribution) Sample(dst []float32, yhat *tensor.Tensor, loc, scale []float32, nSamples int, rng *rand.Rand) error {
	if nSamples < 1 {
		return fmt.Errorf("loss: %d samples requested", nSamples)
	}
	if rng == nil {
		return fmt.Errorf("loss: Sample needs a seeded *rand.Rand")
	}
	k := d.Outputs()
	n := d.targets(yhat, dst, nSamples, "Sample")
	per := strides(n, loc, scale)
	for i := range n {
		l, s := anchor(loc, scale, i, per)
		nu, mu, sigma, _, _, _ := d.params(yhat.Data[i*k:i*k+k], l, s)
		o := dst[i*nSamples : (i+1)*nSamples]
		if d.family == StudentT {
			t := distuv.StudentsT{Mu: mu, Sigma: sigma, Nu: nu, Src: rng}
			for j := range o {
				o[j] = float32(t.Rand())
			}
			continue
		}
		for j := range o {
			o[j] = float32(mu + sigma*rng.NormFloat64())
		}
	}
	return nil
}
