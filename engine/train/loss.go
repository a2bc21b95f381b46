package train

import "github.com/streamcast/streamcast/engine/tensor"

// maskedMAE is NeuralForecast's MAE with the outsample mask:
//
//	L = Σᵢ mᵢ·|ŷᵢ − yᵢ| / Σᵢ mᵢ,   ∂L/∂ŷᵢ = mᵢ·sign(ŷᵢ − yᵢ) / Σ m.
//
// It is a persistent op object: its backward closure is bound once, so
// recording it on the tape allocates nothing.
type maskedMAE struct {
	yhat, out *tensor.Tensor
	y, mask   []float32
	inv       float32
	bw        func()
}

func newMaskedMAE() *maskedMAE {
	l := &maskedMAE{}
	l.bw = l.backward
	return l
}

// forward returns the loss as a 1-element tensor; y and mask have yhat's length.
func (l *maskedMAE) forward(tp *tensor.Tape, yhat *tensor.Tensor, y, mask []float32) *tensor.Tensor {
	if len(y) != len(yhat.Data) || len(mask) != len(y) {
		panic("train: maskedMAE length mismatch")
	}
	out := tp.Result([]int{1}, yhat)
	var s, n float64
	for i, v := range yhat.Data {
		m := mask[i]
		d := v - y[i]
		if d < 0 {
			d = -d
		}
		s += float64(m * d)
		n += float64(m)
	}
	if n == 0 {
		n = 1
	}
	out.Data[0] = float32(s / n)
	if out.RequiresGrad() {
		l.yhat, l.out, l.y, l.mask, l.inv = yhat, out, y, mask, float32(1/n)
		tp.Record(l.bw)
	}
	return out
}

func (l *maskedMAE) backward() {
	g := l.out.Grad[0] * l.inv
	y, mask := l.y, l.mask
	yh, gr := l.yhat.Data, l.yhat.Grad
	for i, v := range yh {
		switch d := v - y[i]; {
		case d > 0:
			gr[i] += g * mask[i]
		case d < 0:
			gr[i] -= g * mask[i]
		}
	}
}
