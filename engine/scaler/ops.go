package scaler

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/tensor"
)

// rowLen checks that x splits into len(loc) equal rows and returns the row length.
func rowLen(op string, x *tensor.Tensor, loc, scale []float32) int {
	n := len(loc)
	if n == 0 || len(scale) != n || len(x.Data)%n != 0 {
		panic(fmt.Sprintf("scaler: %s of %d values with %d loc and %d scale values", op, len(x.Data), len(loc), len(scale)))
	}
	return len(x.Data) / n
}

// Scale returns z = (x − locᵣ)/scaleᵣ where row r of x (its first axis
// split into len(loc) equal rows) uses statistics r. Statistics are constants.
//
// Backward: ∂L/∂xᵢ += ∂L/∂zᵢ / scaleᵣ.
func Scale(tp *tensor.Tape, x *tensor.Tensor, loc, scale []float32) *tensor.Tensor {
	l := rowLen("Scale", x, loc, scale)
	out := tp.Result(x.Shape, x)
	for r, m := range loc {
		s := scale[r]
		src := x.Data[r*l : r*l+l]
		dst := out.Data[r*l : r*l+l]
		for i, v := range src {
			dst[i] = (v - m) / s
		}
	}
	if out.RequiresGrad() {
		tp.Record(func() {
			for r, s := range scale {
				g := out.Grad[r*l : r*l+l]
				dx := x.Grad[r*l : r*l+l]
				for i, v := range g {
					dx[i] += v / s
				}
			}
		})
	}
	return out
}

// Inverse returns y = z·scaleᵣ + locᵣ row-wise (the inverse of Scale).
//
// Backward: ∂L/∂zᵢ += ∂L/∂yᵢ · scaleᵣ.
func Inverse(tp *tensor.Tape, z *tensor.Tensor, loc, scale []float32) *tensor.Tensor {
	l := rowLen("Inverse", z, loc, scale)
	out := tp.Result(z.Shape, z)
	for r, m := range loc {
		s := scale[r]
		src := z.Data[r*l : r*l+l]
		dst := out.Data[r*l : r*l+l]
		for i, v := range src {
			dst[i] = v*s + m
		}
	}
	if out.RequiresGrad() {
		tp.Record(func() {
			for r, s := range scale {
				g := out.Grad[r*l : r*l+l]
				dz := z.Grad[r*l : r*l+l]
				for i, v := range g {
					dz[i] += v * s
				}
			}
		})
	}
	return out
}

// inverseRevIN returns y = z·scaleᵣ·(relu(w_c) + eps) + locᵣ + b_c with
// c = r mod channels, or c = fixed when fixed >= 0.
//
// Backward: ∂L/∂z += ∂L/∂y·scaleᵣ·a_c, ∂L/∂b_c += Σ ∂L/∂y,
// ∂L/∂w_c += Σ ∂L/∂y·z·scaleᵣ·1[w_c > 0].
func inverseRevIN(tp *tensor.Tape, z *tensor.Tensor, loc, scale []float32, w, b *tensor.Tensor, channels, fixed int) *tensor.Tensor {
	l := rowLen("Inverse", z, loc, scale)
	out := tp.Result(z.Shape, z, w, b)
	for r, m := range loc {
		c := channelIndex(r, channels, fixed)
		s := scale[r] * (max(w.Data[c], 0) + Eps)
		m += b.Data[c]
		src := z.Data[r*l : r*l+l]
		dst := out.Data[r*l : r*l+l]
		for i, v := range src {
			dst[i] = v*s + m
		}
	}
	if out.RequiresGrad() {
		tp.Record(func() {
			for r, sr := range scale {
				c := channelIndex(r, channels, fixed)
				a := max(w.Data[c], 0) + Eps
				g := out.Grad[r*l : r*l+l]
				var gsum, gz float32
				for i, v := range g {
					gsum += v
					gz += v * z.Data[r*l+i]
				}
				if z.RequiresGrad() {
					dz := z.Grad[r*l : r*l+l]
					s := sr * a
					for i, v := range g {
						dz[i] += v * s
					}
				}
				if b.RequiresGrad() {
					b.Grad[c] += gsum
				}
				if w.RequiresGrad() && w.Data[c] > 0 {
					w.Grad[c] += gz * sr
				}
			}
		})
	}
	return out
}

// channelIndex returns fixed when >= 0, else r mod channels.
func channelIndex(r, channels, fixed int) int {
	if fixed >= 0 {
		return fixed
	}
	return r % channels
}

// ScaleValues scales constant data (e.g. training targets) in place,
// row-wise like Scale: y is len(loc) equal rows, yᵢ ← (yᵢ − locᵣ)/scaleᵣ,
// dividing like torch so values match Scale bit for bit.
func ScaleValues(y, loc, scale []float32) {
	n := len(loc)
	if n == 0 || len(scale) != n || len(y)%n != 0 {
		panic(fmt.Sprintf("scaler: ScaleValues of %d values with %d loc and %d scale values", len(y), len(loc), len(scale)))
	}
	l := len(y) / n
	for r, m := range loc {
		s := scale[r]
		row := y[r*l : r*l+l]
		for i, v := range row {
			row[i] = (v - m) / s
		}
	}
}
