package tensor

import (
	"math/rand/v2"
	"testing"
)

// TestTinyTrainingLoop trains a small residual MLP built only from this
// package's ops with plain SGD on a smooth regression target and checks
// that the loss falls by an order of magnitude: the ops compose, and their
// gradients are usable, not merely locally correct.
func TestTinyTrainingLoop(t *testing.T) {
	const n, in, hid = 64, 4, 16
	x := RandN(1, n, in)
	y := New(n, 1)
	for i := 0; i < n; i++ {
		r := x.Data[i*in : (i+1)*in]
		y.Data[i] = tanh32(r[0]) + 0.5*r[1]*r[2] - 0.25*r[3]
	}
	w1, b1 := mulData(param(2, hid, in), 0.5), NewParam(hid)
	g, bb := NewParam(hid), NewParam(hid)
	for i := range g.Data {
		g.Data[i] = 1
	}
	w2, b2 := mulData(param(3, 1, hid), 0.25), NewParam(1)
	params := []*Tensor{w1, b1, g, bb, w2, b2}
	rng := rand.New(rand.NewPCG(7, 7))
	tp := NewTape()
	step := func() float32 {
		tp.Reset()
		for _, p := range params {
			p.ZeroGrad()
		}
		h := Linear(tp, x, w1, b1)
		h = LayerNorm(tp, h, 1, g, bb, LayerNormEps)
		h = Dropout(tp, GELU(tp, h), 0.05, true, rng)
		pred := Linear(tp, h, w2, b2)
		d := Sub(tp, pred, y)
		loss := MeanAll(tp, Mul(tp, d, d))
		tp.Backward(loss)
		for _, p := range params {
			for i, gv := range p.Grad {
				p.Data[i] -= 0.1 * gv
			}
		}
		return loss.Data[0]
	}
	first := step()
	var last float32
	for i := 0; i < 300; i++ {
		last = step()
	}
	if !(last < first/10) {
		t.Fatalf("loss %g -> %g, want a tenfold decrease", first, last)
	}
	t.Logf("loss %g -> %g", first, last)
}
