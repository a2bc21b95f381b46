package scaler

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/tensor"
)

// FitChannels computes statistics the way NeuralForecast's _normalization
// does for a window batch x of shape [n, l, c] (time along axis 1, channel
// innermost: target and exogenous columns): one (loc, scale) per window and
// channel, written to loc and scale at index b·c + ch (length n·c). mask has
// shape [n, l] (nil = all valid) and applies to every channel, with the
// horizon already zeroed by the caller. RevIN's channel of statistic b·c + ch
// is ch, consistent with Fit's row r ↦ channel r mod channels.
func (s *Scaler) FitChannels(loc, scale, x, mask []float32, n, l, c int) {
	if c == 1 {
		s.Fit(loc, scale, x, mask, n, l)
		return
	}
	if n < 0 || l < 0 || c < 1 || len(x) != n*l*c || len(loc) != n*c || len(scale) != n*c || (mask != nil && len(mask) != n*l) {
		panic(fmt.Sprintf("scaler: FitChannels of [%d, %d, %d] with %d values, %d mask values, %d/%d outputs",
			n, l, c, len(x), len(mask), len(loc), len(scale)))
	}
	if cap(s.col) < l {
		s.col = make([]float32, l)
	}
	col := s.col[:l]
	for b := range n {
		var m []float32
		if mask != nil {
			m = mask[b*l : b*l+l]
		}
		w := x[b*l*c : (b+1)*l*c]
		for ch := range c {
			for t := range col {
				col[t] = w[t*c+ch]
			}
			loc[b*c+ch], scale[b*c+ch] = s.fitRow(col, m)
		}
	}
}

// channelDims checks x against n·c statistics of c channels and returns l.
func channelDims(op string, x *tensor.Tensor, loc, scale []float32, c int) (n, l int) {
	if c < 1 || len(loc) == 0 || len(loc)%c != 0 || len(scale) != len(loc) {
		panic(fmt.Sprintf("scaler: %s with %d loc, %d scale values for %d channels", op, len(loc), len(scale), c))
	}
	n = len(loc) / c
	if len(x.Data)%(n*c) != 0 {
		panic(fmt.Sprintf("scaler: %s of %d values is not [%d, l, %d]", op, len(x.Data), n, c))
	}
	return n, len(x.Data) / (n * c)
}

// ScaleChannels returns (x − loc)/scale for x of shape [n, l, c] with the
// statistics of FitChannels (constants).
//
// Backward: ∂L/∂x += ∂L/∂z / scale.
func ScaleChannels(tp *tensor.Tape, x *tensor.Tensor, loc, scale []float32, c int) *tensor.Tensor {
	if c == 1 {
		return Scale(tp, x, loc, scale)
	}
	n, l := channelDims("ScaleChannels", x, loc, scale, c)
	out := tp.Result(x.Shape, x)
	for b := range n {
		ls, ss := loc[b*c:b*c+c], scale[b*c:b*c+c]
		for t := range l {
			o := (b*l + t) * c
			src, dst := x.Data[o:o+c], out.Data[o:o+c]
			for ch, v := range src {
				dst[ch] = (v - ls[ch]) / ss[ch]
			}
		}
	}
	if out.RequiresGrad() {
		tp.Record(func() {
			for b := range n {
				ss := scale[b*c : b*c+c]
				for t := range l {
					o := (b*l + t) * c
					g, dx := out.Grad[o:o+c], x.Grad[o:o+c]
					for ch, v := range g {
						dx[ch] += v / ss[ch]
					}
				}
			}
		})
	}
	return out
}

// InverseChannels returns z·scale + loc for z of shape [n, l, c].
//
// Backward: ∂L/∂z += ∂L/∂y · scale.
func InverseChannels(tp *tensor.Tape, z *tensor.Tensor, loc, scale []float32, c int) *tensor.Tensor {
	if c == 1 {
		return Inverse(tp, z, loc, scale)
	}
	n, l := channelDims("InverseChannels", z, loc, scale, c)
	out := tp.Result(z.Shape, z)
	for b := range n {
		ls, ss := loc[b*c:b*c+c], scale[b*c:b*c+c]
		for t := range l {
			o := (b*l + t) * c
			src, dst := z.Data[o:o+c], out.Data[o:o+c]
			for ch, v := range src {
				dst[ch] = v*ss[ch] + ls[ch]
			}
		}
	}
	if out.RequiresGrad() {
		tp.Record(func() {
			for b := range n {
				ss := scale[b*c : b*c+c]
				for t := range l {
					o := (b*l + t) * c
					g, dz := out.Grad[o:o+c], z.Grad[o:o+c]
					for ch, v := range g {
						dz[ch] += v * ss[ch]
					}
				}
			}
		})
	}
	return out
}
