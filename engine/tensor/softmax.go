package tensor

import (
	"math"

	"github.com/streamcast/streamcast/engine/tensor/internal/vec"
)

// Softmax returns exp(x)/Σ exp(x) over axis, computed stably by subtracting
// the maximum along the axis first.
//
// Backward: ∂L/∂x = y ⊙ (∂L/∂y − Σ_axis ∂L/∂y ⊙ y).
func Softmax(tp *Tape, x *Tensor, axis int) *Tensor {
	return softmax(tp, "Softmax", x, axis, false)
}

// LogSoftmax returns x − log Σ exp(x) over axis, computed stably
// (x − max − log Σ exp(x − max)).
//
// Backward: ∂L/∂x = ∂L/∂y − exp(y) ⊙ Σ_axis ∂L/∂y.
func LogSoftmax(tp *Tape, x *Tensor, axis int) *Tensor {
	return softmax(tp, "LogSoftmax", x, axis, true)
}

func softmax(tp *Tape, name string, x *Tensor, axis int, logOut bool) *Tensor {
	axis = normAxis(name, axis, len(x.Shape))
	outer, n, inner := AxisSplit(x.Shape, axis)
	out := tp.resultNoZero(x.Shape, x)
	if len(out.Data) == 0 {
		return out
	}
	var tmp []float32
	if inner > 1 {
		tmp = tp.Scratch(2 * inner)
	}
	for o := 0; o < outer; o++ {
		xb := x.Data[o*n*inner : (o+1)*n*inner]
		yb := out.Data[o*n*inner : (o+1)*n*inner]
		if inner == 1 {
			softmaxRow(yb, xb, logOut)
			continue
		}
		m, s := tmp[:inner], tmp[inner:]
		copy(m, xb[:inner])
		for k := 1; k < n; k++ {
			for i, v := range xb[k*inner : (k+1)*inner] {
				if v > m[i] {
					m[i] = v
				}
			}
		}
		clear(s)
		for k := 0; k < n; k++ {
			xr, yr := xb[k*inner:(k+1)*inner], yb[k*inner:(k+1)*inner]
			for i, v := range xr {
				yr[i] = v - m[i]
			}
			if logOut {
				for i, v := range yr {
					s[i] += exp32(v)
				}
				continue
			}
			expSlice(yr, yr)
			for i, e := range yr {
				s[i] += e
			}
		}
		for i := range s {
			if logOut {
				s[i] = float32(math.Log(float64(s[i])))
			} else {
				s[i] = 1 / s[i]
			}
		}
		for k := 0; k < n; k++ {
			yr := yb[k*inner : (k+1)*inner]
			for i := range yr {
				if logOut {
					yr[i] -= s[i]
				} else {
					yr[i] *= s[i]
				}
			}
		}
	}
	if out.requiresGrad {
		var dots, probs []float32
		if inner > 1 {
			dots = tp.Scratch(inner)
		}
		if logOut {
			probs = tp.Scratch(n * inner)
		}
		tp.record(func() { softmaxBackward(x, out, outer, n, inner, logOut, dots, probs) })
	}
	return out
}

// softmaxRow computes a contiguous softmax or log-softmax row.
func softmaxRow(y, x []float32, logOut bool) {
	x = x[:len(y)]
	m := vec.Max(x)
	vec.ScaleShift(y, x, 1, -m)
	expSlice(y, y)
	if logOut {
		ls := m + float32(math.Log(float64(vec.Sum(y))))
		vec.ScaleShift(y, x, 1, -ls)
		return
	}
	vec.ScaleShift(y, y, 1/vec.Sum(y), 0)
}

// softmaxBackward accumulates ∂L/∂x; probs (log-softmax only) is a block-sized
// buffer for exp(y).
func softmaxBackward(x, out *Tensor, outer, n, inner int, logOut bool, dots, probs []float32) {
	for o := 0; o < outer; o++ {
		lo, hi := o*n*inner, (o+1)*n*inner
		g, y, gx := out.Grad[lo:hi], out.Data[lo:hi], x.Grad[lo:hi]
		if logOut {
			expSlice(probs, y)
		}
		if inner == 1 {
			var d float32
			if logOut {
				d = vec.Sum(g)
				vec.Add(gx, gx, g)
				vec.Axpy(gx, probs[:len(g)], -d)
				continue
			}
			d = vec.Dot(g, y)
			vec.MulAdd(gx, y, g)
			vec.Axpy(gx, y, -d)
			continue
		}
		clear(dots)
		for k := 0; k < n; k++ {
			gr, yr := g[k*inner:(k+1)*inner], y[k*inner:(k+1)*inner]
			for i, v := range gr {
				if logOut {
					dots[i] += v
				} else {
					dots[i] += v * yr[i]
				}
			}
		}
		for k := 0; k < n; k++ {
			gr, yr, xr := g[k*inner:(k+1)*inner], y[k*inner:(k+1)*inner], gx[k*inner:(k+1)*inner]
			for i, v := range gr {
				if logOut {
					xr[i] += v - probs[k*inner+i]*dots[i]
				} else {
					xr[i] += yr[i] * (v - dots[i])
				}
			}
		}
	}
}
