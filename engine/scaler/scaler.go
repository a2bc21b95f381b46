// Package scaler implements NeuralForecast's per-window temporal
// normalisation (TemporalNorm in neuralforecast/common/_scalers.py):
// statistics are computed per window from its valid in-sample points only
// (the caller masks the horizon out), inputs are scaled with them, and model
// outputs are mapped back with the inverse transform.
//
// Data layout: a batch is n windows (rows) of l values, row-major. Scale and
// Inverse broadcast one (loc, scale) pair per row over each row's values.
// Statistics are constants for differentiation, as in NeuralForecast;
// RevIN's learnable affine parameters receive gradients through Inverse.
package scaler

import (
	"fmt"
	"math"

	"github.com/streamcast/streamcast/engine/nn"
	"github.com/streamcast/streamcast/engine/tensor"
)

// Kind selects the statistics.
type Kind uint8

const (
	// Identity: loc 0, scale 1.
	Identity Kind = iota
	// Standard: loc = mean, scale = population std (0 → 1) + eps.
	Standard
	// Robust: loc = median, scale = MAD = median|x − median| (0 → std·0.6745,
	// still 0 → 1) + eps. Medians of an even count are the lower middle
	// value, as torch.nanmedian.
	Robust
	// MinMax: loc = min, scale = max − min (0 → 1) + eps; z ∈ [0, 1].
	MinMax
	// MinMax1: z = 2(x − min)/range − 1 ∈ [−1, 1], expressed as the affine
	// map with loc = min + range/2, scale = range/2.
	MinMax1
	// RevIN: Standard statistics for Scale; Inverse uses loc + b_c and
	// scale·(relu(w_c) + eps) with learnable per-channel b (init 0) and w (init 1).
	RevIN
)

var kindNames = []string{"identity", "standard", "robust", "minmax", "minmax1", "revin"}

// String returns NeuralForecast's scaler_type name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ParseKind maps NeuralForecast's scaler_type names ("identity", "standard",
// "robust", "minmax", "minmax1", "revin"; "" means identity) to a Kind.
func ParseKind(s string) (Kind, error) {
	if s == "" {
		return Identity, nil
	}
	for i, n := range kindNames {
		if n == s {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("scaler: unknown scaler type %q (identity, standard, robust, minmax, minmax1, revin)", s)
}

// Eps is NeuralForecast's TemporalNorm eps.
const Eps = 1e-6

// madFromStd is Φ⁻¹(0.75), the MAD/std ratio of a normal distribution.
const madFromStd = 0.6744897501960817

// Scaler computes window statistics of one kind. It is not safe for
// concurrent use (it owns a scratch buffer for medians).
type Scaler struct {
	kind     Kind
	channels int
	// Weight and Bias are RevIN's learnable affine parameters (shape
	// [channels]); nil for other kinds.
	Weight, Bias *tensor.Tensor
	scratch      []float32
	col          []float32
}

// New returns a scaler. channels is the number of series channels (rows
// r of a batch belong to channel r mod channels); it matters only for RevIN
// and must be >= 1.
func New(kind Kind, channels int) (*Scaler, error) {
	if kind > RevIN {
		return nil, fmt.Errorf("scaler: unknown kind %d", uint8(kind))
	}
	if channels < 1 {
		return nil, fmt.Errorf("scaler: %d channels, need >= 1", channels)
	}
	s := &Scaler{kind: kind, channels: channels}
	if kind == RevIN {
		s.Weight = tensor.NewParam(channels)
		s.Bias = tensor.NewParam(channels)
		for i := range s.Weight.Data {
			s.Weight.Data[i] = 1
		}
	}
	return s, nil
}

// Kind returns the scaler kind.
func (s *Scaler) Kind() Kind { return s.kind }

// Params returns RevIN's "revin_bias" and "revin_weight" (NeuralForecast's
// names inside TemporalNorm), or nothing for other kinds.
func (s *Scaler) Params() []nn.Param {
	if s.kind != RevIN {
		return nil
	}
	return []nn.Param{{Name: "revin_bias", T: s.Bias}, {Name: "revin_weight", T: s.Weight}}
}

func valid(x float32, mask []float32, i int) bool {
	return x == x && (mask == nil || mask[i] >= 1)
}

// Fit computes the statistics of n windows of length l stored row-major in
// x into loc and scale (length n each). mask (nil = all valid) marks valid
// points with values >= 1 (NeuralForecast's mask < 1 → ignored); NaN values
// are ignored too. A window without valid points gets loc 0, scale 1 + eps.
func (s *Scaler) Fit(loc, scale, x, mask []float32, n, l int) {
	if n < 0 || l < 0 || len(x) != n*l || len(loc) != n || len(scale) != n || (mask != nil && len(mask) != n*l) {
		panic(fmt.Sprintf("scaler: Fit of %d×%d windows with %d values, %d mask values, %d/%d outputs",
			n, l, len(x), len(mask), len(loc), len(scale)))
	}
	for r := range n {
		row := x[r*l : r*l+l]
		var m []float32
		if mask != nil {
			m = mask[r*l : r*l+l]
		}
		loc[r], scale[r] = s.fitRow(row, m)
	}
}

func (s *Scaler) fitRow(x, mask []float32) (float32, float32) {
	switch s.kind {
	case Identity:
		return 0, 1
	case Standard, RevIN:
		mean, std, _ := meanStd(x, mask)
		if std == 0 {
			std = 1
		}
		return mean, std + Eps
	case Robust:
		med, mad, ok := s.medianMAD(x, mask)
		if !ok {
			return 0, 1 + Eps
		}
		if mad == 0 {
			_, std, _ := meanStd(x, mask)
			mad = std * float32(madFromStd) // float32 product, as torch
		}
		if mad == 0 {
			mad = 1
		}
		return med, mad + Eps
	default: // MinMax, MinMax1
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for i, v := range x {
			if valid(v, mask, i) {
				lo = min(lo, v)
				hi = max(hi, v)
			}
		}
		if lo > hi { // no valid point
			lo, hi = 0, 0
		}
		rng := hi - lo
		if rng == 0 {
			rng = 1
		}
		rng += Eps
		if s.kind == MinMax1 {
			return lo + rng/2, rng / 2
		}
		return lo, rng
	}
}

// meanStd returns the masked mean and population standard deviation
// (float32 results, float64 accumulation); ok is false without valid points.
func meanStd(x, mask []float32) (float32, float32, bool) {
	var sum float64
	k := 0
	for i, v := range x {
		if valid(v, mask, i) {
			sum += float64(v)
			k++
		}
	}
	if k == 0 {
		return 0, 0, false
	}
	mean := float32(sum / float64(k))
	var ss float64
	for i, v := range x {
		if valid(v, mask, i) {
			d := float64(v - mean)
			ss += d * d
		}
	}
	return mean, float32(math.Sqrt(ss / float64(k))), true
}

// medianMAD returns the lower median of the valid points and the lower
// median of their absolute deviations from it.
func (s *Scaler) medianMAD(x, mask []float32) (float32, float32, bool) {
	buf := s.scratch[:0]
	for i, v := range x {
		if valid(v, mask, i) {
			buf = append(buf, v)
		}
	}
	s.scratch = buf
	if len(buf) == 0 {
		return 0, 0, false
	}
	mid := (len(buf) - 1) / 2
	med := selectK(buf, mid)
	for i, v := range buf {
		buf[i] = abs32(v - med)
	}
	return med, selectK(buf, mid), true
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// Transform returns (x − loc)/scale with the statistics of Fit (one pair
// per row of x); see Scale. For RevIN the plain statistics are used here,
// exactly as NeuralForecast's TemporalNorm.transform does.
func (s *Scaler) Transform(tp *tensor.Tape, x *tensor.Tensor, loc, scale []float32) *tensor.Tensor {
	if s.kind == Identity {
		return x
	}
	return Scale(tp, x, loc, scale)
}

// InverseTransform maps model outputs z back to the data scale: z·scale +
// loc, or for RevIN z·scale·(relu(w_c) + eps) + loc + b_c with gradients
// into w and b. z holds len(loc) rows.
func (s *Scaler) InverseTransform(tp *tensor.Tape, z *tensor.Tensor, loc, scale []float32) *tensor.Tensor {
	switch s.kind {
	case Identity:
		return z
	case RevIN:
		return inverseRevIN(tp, z, loc, scale, s.Weight, s.Bias, s.channels, -1)
	}
	return Inverse(tp, z, loc, scale)
}

// InverseTransformChannel is InverseTransform for outputs of one channel ch
// (usually the target, channel 0): every row uses RevIN's parameters of ch.
// loc and scale are that channel's statistics (see SelectChannel).
func (s *Scaler) InverseTransformChannel(tp *tensor.Tape, z *tensor.Tensor, loc, scale []float32, ch int) *tensor.Tensor {
	s.checkChannel(ch)
	switch s.kind {
	case Identity:
		return z
	case RevIN:
		return inverseRevIN(tp, z, loc, scale, s.Weight, s.Bias, s.channels, ch)
	}
	return Inverse(tp, z, loc, scale)
}

func (s *Scaler) checkChannel(ch int) {
	if ch < 0 || ch >= s.channels {
		panic(fmt.Sprintf("scaler: channel %d of %d", ch, s.channels))
	}
}

// channelOf returns the channel of statistic r: fixed when >= 0, else r mod channels.
func (s *Scaler) channelOf(r, fixed int) int { return channelIndex(r, s.channels, fixed) }

// SelectChannel copies the statistics of channel ch out of FitChannels'
// [n, c] statistics into dstLoc, dstScale (length n) — NeuralForecast's
// _get_loc_scale(y_idx).
func SelectChannel(dstLoc, dstScale, loc, scale []float32, c, ch int) {
	n := len(dstLoc)
	if c < 1 || ch < 0 || ch >= c || len(dstScale) != n || len(loc) != n*c || len(scale) != n*c {
		panic(fmt.Sprintf("scaler: SelectChannel %d of %d from %d/%d statistics into %d/%d", ch, c, len(loc), len(scale), n, len(dstScale)))
	}
	for b := range n {
		dstLoc[b] = loc[b*c+ch]
		dstScale[b] = scale[b*c+ch]
	}
}

// Anchor writes the effective per-row (loc, scale) of the inverse transform
// into dstLoc, dstScale — NeuralForecast's x_shift/x_scale that distribution
// losses use for scale decoupling. For RevIN they include the current
// affine parameters (as constants).
func (s *Scaler) Anchor(dstLoc, dstScale, loc, scale []float32) {
	s.anchor(dstLoc, dstScale, loc, scale, -1)
}

// AnchorChannel is Anchor for statistics of one channel ch.
func (s *Scaler) AnchorChannel(dstLoc, dstScale, loc, scale []float32, ch int) {
	s.checkChannel(ch)
	s.anchor(dstLoc, dstScale, loc, scale, ch)
}

func (s *Scaler) anchor(dstLoc, dstScale, loc, scale []float32, fixed int) {
	if len(dstLoc) != len(loc) || len(dstScale) != len(scale) || len(loc) != len(scale) {
		panic(fmt.Sprintf("scaler: Anchor of %d/%d statistics into %d/%d", len(loc), len(scale), len(dstLoc), len(dstScale)))
	}
	copy(dstLoc, loc)
	copy(dstScale, scale)
	if s.kind != RevIN {
		return
	}
	for r := range loc {
		c := s.channelOf(r, fixed)
		dstLoc[r] += s.Bias.Data[c]
		dstScale[r] *= max(s.Weight.Data[c], 0) + Eps
	}
}

// AnchorTensors is Anchor as tape tensors (shape [len(loc)]): for RevIN
// they depend differentiably on the affine parameters, so a distribution
// loss anchored on them (loss.Distribution.ForwardAnchored) trains w and b,
// as NeuralForecast's scale decouple does.
//
// Backward (RevIN): ∂L/∂b_c += Σ_{r: c} ∂L/∂locᵣ,
// ∂L/∂w_c += Σ_{r: c} ∂L/∂scaleᵣ·scaleᵣ·1[w_c > 0].
func (s *Scaler) AnchorTensors(tp *tensor.Tape, loc, scale []float32) (*tensor.Tensor, *tensor.Tensor) {
	return s.anchorTensors(tp, loc, scale, -1)
}

// AnchorTensorsChannel is AnchorTensors for statistics of one channel ch.
func (s *Scaler) AnchorTensorsChannel(tp *tensor.Tape, loc, scale []float32, ch int) (*tensor.Tensor, *tensor.Tensor) {
	s.checkChannel(ch)
	return s.anchorTensors(tp, loc, scale, ch)
}

func (s *Scaler) anchorTensors(tp *tensor.Tape, loc, scale []float32, fixed int) (*tensor.Tensor, *tensor.Tensor) {
	n := len(loc)
	if len(scale) != n {
		panic(fmt.Sprintf("scaler: AnchorTensors of %d loc and %d scale values", n, len(scale)))
	}
	var lt, st *tensor.Tensor
	if s.kind == RevIN {
		lt = tp.Result([]int{n}, s.Bias)
		st = tp.Result([]int{n}, s.Weight)
	} else {
		lt = tp.Result([]int{n})
		st = tp.Result([]int{n})
	}
	s.anchor(lt.Data, st.Data, loc, scale, fixed)
	if s.kind != RevIN {
		return lt, st
	}
	if lt.RequiresGrad() {
		tp.Record(func() {
			for r, g := range lt.Grad {
				s.Bias.Grad[s.channelOf(r, fixed)] += g
			}
		})
	}
	if st.RequiresGrad() {
		tp.Record(func() {
			for r, g := range st.Grad {
				c := s.channelOf(r, fixed)
				if s.Weight.Data[c] > 0 {
					s.Weight.Grad[c] += g * scale[r]
				}
			}
		})
	}
	return lt, st
}
