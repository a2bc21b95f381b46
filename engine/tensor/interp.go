package tensor

import "fmt"

// InterpolateLinear resamples the last axis of x ((N, C, L) or (C, L)) to
// size points by linear interpolation, as PyTorch's
// F.interpolate(x, size=size, mode='linear', align_corners=False):
//
//	src_i = max((i + ½)·L/size − ½, 0),  j = ⌊src_i⌋,  λ = src_i − j,
//	out[…, i] = (1 − λ)·x[…, j] + λ·x[…, min(j + 1, L − 1)]
//
// Backward: ∂L/∂x[…, j] += (1 − λ)·g_i, ∂L/∂x[…, j+1] += λ·g_i with
// g_i = ∂L/∂out[…, i].
func InterpolateLinear(tp *Tape, x *Tensor, size int) *Tensor {
	if len(x.Shape) < 2 || size <= 0 || x.Shape[len(x.Shape)-1] == 0 {
		panic(fmt.Sprintf("tensor: InterpolateLinear of %v to size %d", append([]int(nil), x.Shape...), size))
	}
	l := x.Shape[len(x.Shape)-1]
	rows := x.Numel() / l
	var shape [MaxDims]int
	nd := copy(shape[:], x.Shape)
	shape[nd-1] = size
	out := tp.resultNoZero(shape[:nd], x)
	co := linearCoef{scale: float32(l) / float32(size), l: l}
	for r := 0; r < rows; r++ {
		xr := x.Data[r*l : (r+1)*l]
		or := out.Data[r*size : (r+1)*size]
		for i := range or {
			j0, j1, w1 := co.at(i)
			or[i] = (1-w1)*xr[j0] + w1*xr[j1]
		}
	}
	if out.requiresGrad {
		tp.record(func() {
			for r := 0; r < rows; r++ {
				gx := x.Grad[r*l : (r+1)*l]
				for i, g := range out.Grad[r*size : (r+1)*size] {
					j0, j1, w1 := co.at(i)
					gx[j0] += (1 - w1) * g
					gx[j1] += w1 * g
				}
			}
		})
	}
	return out
}

// linearCoef gives the neighbour indices and right weight of output i.
type linearCoef struct {
	scale float32
	l     int
}

func (c linearCoef) at(i int) (j0, j1 int, w1 float32) {
	src := c.scale*(float32(i)+0.5) - 0.5
	if src < 0 {
		src = 0
	}
	j0 = int(src)
	j1 = j0
	if j0 < c.l-1 {
		j1++
	}
	return j0, j1, src - float32(j0)
}
