package tensor

import "testing"

// TestE2TrainingStepAllocs checks that a training step through the E2 ops
// allocates only their backward closures once the tape's arena is warm.
func TestE2TrainingStepAllocs(t *testing.T) {
	x := RandN(1, 2, 3, 12)
	cw, cb := param(2, 4, 3, 2), param(3, 4)
	lw := RNNWeights{WIH: param(4, 16, 4), WHH: param(5, 16, 4), BIH: param(6, 16), BHH: param(7, 16)}
	gw := RNNWeights{WIH: param(8, 12, 4), WHH: param(9, 12, 4), BIH: nil, BHH: nil}
	tp := NewTape()
	ops := 0
	run := func() {
		tp.Reset()
		c := Conv1d(tp, x, cw, cb, Conv1dConfig{Causal: true, Dilation: 2}) // (2, 4, 12)
		p := MaxPool1d(tp, c, Pool1dConfig{Kernel: 2, CeilMode: true})      // (2, 4, 6)
		a := AvgPool1d(tp, p, Pool1dConfig{Kernel: 2, Stride: 1})           // (2, 4, 5)
		u := InterpolateLinear(tp, a, 8)                                    // (2, 4, 8)
		s := BMM(tp, u, u, true, false)                                     // (2, 8, 8)
		q := s                                                              // attention over (2, 8, 8)
		o, _ := Attention(tp, q, q, q, AttentionConfig{Causal: true})
		seq := BMM(tp, o, u, false, true) // (2, 8, 4)
		h, _, _ := LSTM(tp, seq, nil, nil, lw)
		g, _ := GRU(tp, h, nil, gw)
		ops = tp.Len()
		tp.Backward(SumAll(tp, g))
	}
	run()
	n := testing.AllocsPerRun(10, run)
	if n > float64(2*ops) {
		t.Fatalf("training step allocates %v times for %d recorded ops", n, ops)
	}
	t.Logf("%v allocations for %d recorded ops", n, ops)
}
