package tensor

import (
	"fmt"
	"testing"
)

func rnnWeightsOf(in map[string]*Tensor) RNNWeights {
	return RNNWeights{WIH: in["wih"], WHH: in["whh"], BIH: in["bih"], BHH: in["bhh"], WHR: in["whr"]}
}

func TestLSTMGolden(t *testing.T) {
	runE2Golden(t, "lstm", func(tp *Tape, c e2Case, in map[string]*Tensor) map[string]*Tensor {
		out, hT, cT := LSTM(tp, in["x"], in["h0"], in["c0"], rnnWeightsOf(in))
		return map[string]*Tensor{"out": out, "hT": hT, "cT": cT}
	})
}

func TestLSTMCellGolden(t *testing.T) {
	runE2Golden(t, "lstm_cell", func(tp *Tape, c e2Case, in map[string]*Tensor) map[string]*Tensor {
		h, cc := LSTMCell(tp, in["x"], in["h0"], in["c0"], rnnWeightsOf(in))
		return map[string]*Tensor{"h": h, "c": cc}
	})
}

func TestGRUGolden(t *testing.T) {
	runE2Golden(t, "gru", func(tp *Tape, c e2Case, in map[string]*Tensor) map[string]*Tensor {
		out, hT := GRU(tp, in["x"], in["h0"], rnnWeightsOf(in))
		return map[string]*Tensor{"out": out, "hT": hT}
	})
}

func TestGRUCellGolden(t *testing.T) {
	runE2Golden(t, "gru_cell", func(tp *Tape, c e2Case, in map[string]*Tensor) map[string]*Tensor {
		return map[string]*Tensor{"h": GRUCell(tp, in["x"], in["h0"], rnnWeightsOf(in))}
	})
}

func rnnScaled(t *Tensor, s float32) *Tensor {
	for i := range t.Data {
		t.Data[i] *= s
	}
	return t
}

func TestRNNGradCheck(t *testing.T) {
	const n, steps, in, h = 2, 4, 3, 4
	lstmW := func() []*Tensor {
		return []*Tensor{rnnScaled(param(51, 4*h, in), 0.5), rnnScaled(param(52, 4*h, h), 0.5), param(53, 4*h), param(54, 4*h)}
	}
	gruW := func() []*Tensor {
		return []*Tensor{rnnScaled(param(55, 3*h, in), 0.5), rnnScaled(param(56, 3*h, h), 0.5), param(57, 3*h), param(58, 3*h)}
	}
	w := func(in []*Tensor) RNNWeights { return RNNWeights{WIH: in[0], WHH: in[1], BIH: in[2], BHH: in[3]} }
	// sum of all outputs, so every returned tensor's gradient path is checked
	cat := func(tp *Tape, ts ...*Tensor) *Tensor {
		s := SumAll(tp, ts[0])
		for _, t := range ts[1:] {
			s = Add(tp, s, SumAll(tp, t))
		}
		return s
	}
	cases := []struct {
		name string
		f    func(tp *Tape, in []*Tensor) *Tensor
		ins  []*Tensor
	}{
		{"LSTM_out", func(tp *Tape, in []*Tensor) *Tensor {
			out, _, _ := LSTM(tp, in[4], in[5], in[6], w(in))
			return out
		}, append(lstmW(), param(59, n, steps, in), param(60, n, h), param(61, n, h))},
		{"LSTM_final", func(tp *Tape, in []*Tensor) *Tensor {
			_, hT, cT := LSTM(tp, in[4], in[5], in[6], w(in))
			return cat(tp, hT, cT)
		}, append(lstmW(), param(62, n, steps, in), param(63, n, h), param(64, n, h))},
		{"LSTM_nostate_nobias", func(tp *Tape, in []*Tensor) *Tensor {
			out, _, _ := LSTM(tp, in[2], nil, nil, RNNWeights{WIH: in[0], WHH: in[1]})
			return out
		}, append(lstmW()[:2], param(65, n, steps, in))},
		{"LSTMCell", func(tp *Tape, in []*Tensor) *Tensor {
			h1, c1 := LSTMCell(tp, in[4], in[5], in[6], w(in))
			return cat(tp, h1, c1)
		}, append(lstmW(), param(66, n, in), param(67, n, h), param(68, n, h))},
		{"GRU_out", func(tp *Tape, in []*Tensor) *Tensor {
			out, _ := GRU(tp, in[4], in[5], w(in))
			return out
		}, append(gruW(), param(69, n, steps, in), param(70, n, h))},
		{"GRU_final_nostate", func(tp *Tape, in []*Tensor) *Tensor {
			_, hT := GRU(tp, in[4], nil, w(in))
			return hT
		}, append(gruW(), param(71, n, steps, in))},
		{"GRUCell", func(tp *Tape, in []*Tensor) *Tensor { return GRUCell(tp, in[4], in[5], w(in)) },
			append(gruW(), param(72, n, in), param(73, n, h))},
		{"GRUCell_single_row", func(tp *Tape, in []*Tensor) *Tensor { return GRUCell(tp, in[4], in[5], w(in)) },
			append(gruW(), param(74, 1, in), param(75, 1, h))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := GradCheck(c.f, c.ins, GradCheckOptions{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRNNPanics(t *testing.T) {
	w := RNNWeights{WIH: New(8, 3), WHH: New(8, 2)}
	for name, f := range map[string]func(){
		"gates": func() { GRU(NewInferenceTape(), New(1, 2, 3), nil, w) },
		"input": func() { LSTM(NewInferenceTape(), New(1, 2, 4), nil, nil, w) },
		"state": func() { LSTM(NewInferenceTape(), New(1, 2, 3), New(2, 2), nil, w) },
		"bias": func() {
			LSTM(NewInferenceTape(), New(1, 2, 3), nil, nil, RNNWeights{WIH: w.WIH, WHH: w.WHH, BIH: New(4)})
		},
		"cellrank": func() { LSTMCell(NewInferenceTape(), New(1, 2, 3), nil, nil, w) },
		"nilw":     func() { LSTMCell(NewInferenceTape(), New(1, 3), nil, nil, RNNWeights{}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

func TestRNNInferenceNoAllocs(t *testing.T) {
	x := RandN(1, 4, 12, 3)
	lw := RNNWeights{WIH: RandN(2, 32, 3), WHH: RandN(3, 32, 8), BIH: RandN(4, 32), BHH: RandN(5, 32)}
	pw := RNNWeights{WIH: RandN(11, 32, 3), WHH: RandN(12, 32, 2), WHR: RandN(13, 2, 8)}
	gw := RNNWeights{WIH: RandN(6, 24, 8), WHH: RandN(7, 24, 8), BIH: RandN(8, 24), BHH: RandN(9, 24)}
	xc := RandN(10, 4, 3)
	tp := NewInferenceTape()
	run2 := func() {
		tp.Reset()
		out, h, c := LSTM(tp, x, nil, nil, lw)
		GRU(tp, out, h, gw)
		h2, _ := LSTMCell(tp, xc, h, c, lw)
		GRUCell(tp, h2, nil, gw)
		LSTM(tp, x, nil, nil, pw)
	}
	run2()
	if n := testing.AllocsPerRun(20, run2); n != 0 {
		t.Fatalf("RNN inference allocates %v times per call", n)
	}
}

func TestRNNEmptyBatch(t *testing.T) {
	lw := RNNWeights{WIH: param(1, 8, 3), WHH: param(2, 8, 2)}
	gw := RNNWeights{WIH: param(3, 6, 3), WHH: param(4, 6, 2)}
	x := param(5, 0, 4, 3)
	tp := NewTape()
	out, h, c := LSTM(tp, x, nil, nil, lw)
	o2, h2 := GRU(tp, x, nil, gw)
	if out.Numel() != 0 || h.Numel() != 0 || c.Numel() != 0 || o2.Numel() != 0 || h2.Numel() != 0 {
		t.Fatal("empty batch gives non-empty outputs")
	}
	tp.Backward(Add(tp, SumAll(tp, out), SumAll(tp, o2)))
	for _, g := range append(lw.WIH.Grad, gw.WHH.Grad...) {
		if g != 0 {
			t.Fatal("empty batch produced gradients")
		}
	}
}

func TestElmanRNNGolden(t *testing.T) {
	runE2Golden(t, "rnn", func(tp *Tape, c e2Case, in map[string]*Tensor) map[string]*Tensor {
		out, hT := ElmanRNN(tp, in["x"], in["h0"], rnnWeightsOf(in), c.bool("relu"))
		return map[string]*Tensor{"out": out, "hT": hT}
	})
}

func TestElmanRNNCellGolden(t *testing.T) {
	runE2Golden(t, "rnn_cell", func(tp *Tape, c e2Case, in map[string]*Tensor) map[string]*Tensor {
		return map[string]*Tensor{"h": ElmanRNNCell(tp, in["x"], in["h0"], rnnWeightsOf(in), c.bool("relu"))}
	})
}

func TestElmanRNNGradCheck(t *testing.T) {
	const n, steps, in, h = 2, 4, 3, 4
	for _, relu := range []bool{false, true} {
		ins := []*Tensor{rnnScaled(param(111, h, in), 0.5), rnnScaled(param(112, h, h), 0.5), param(113, h), param(114, h),
			param(115, n, steps, in), param(116, n, h), param(117, n, in)}
		err := GradCheck(func(tp *Tape, in []*Tensor) *Tensor {
			w := RNNWeights{WIH: in[0], WHH: in[1], BIH: in[2], BHH: in[3]}
			out, hT := ElmanRNN(tp, in[4], in[5], w, relu)
			c := ElmanRNNCell(tp, in[6], hT, w, relu)
			return Add(tp, SumAll(tp, out), SumAll(tp, c))
		}, ins, GradCheckOptions{})
		if err != nil {
			t.Fatalf("relu=%v: %v", relu, err)
		}
	}
}

// TestLSTMLongSequenceGradCheck covers more (batch, step) rows than one
// weight-gradient chunk (rnnChunk).
func TestLSTMLongSequenceGradCheck(t *testing.T) {
	const n, steps, in, h = 3, 200, 2, 3
	x := rnnScaled(RandN(121, n, steps, in), 0.5)
	ins := []*Tensor{rnnScaled(param(122, 4*h, in), 0.3), rnnScaled(param(123, 4*h, h), 0.3), param(124, 4*h)}
	err := GradCheck(func(tp *Tape, in []*Tensor) *Tensor {
		out, _, _ := LSTM(tp, x, nil, nil, RNNWeights{WIH: in[0], WHH: in[1], BIH: in[2]})
		return out
	}, ins, GradCheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLSTMProjectionGradCheck(t *testing.T) {
	const n, steps, in, h, p = 2, 4, 3, 4, 2
	ins := []*Tensor{rnnScaled(param(131, 4*h, in), 0.5), rnnScaled(param(132, 4*h, p), 0.5), param(133, 4*h), param(134, 4*h),
		rnnScaled(param(135, p, h), 0.7), param(136, n, steps, in), param(137, n, p), param(138, n, h), param(139, n, in)}
	err := GradCheck(func(tp *Tape, in []*Tensor) *Tensor {
		w := RNNWeights{WIH: in[0], WHH: in[1], BIH: in[2], BHH: in[3], WHR: in[4]}
		out, hT, cT := LSTM(tp, in[5], in[6], in[7], w)
		h1, c1 := LSTMCell(tp, in[8], hT, cT, w)
		return Add(tp, Add(tp, SumAll(tp, out), SumAll(tp, h1)), SumAll(tp, c1))
	}, ins, GradCheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLSTMProjectionPanics(t *testing.T) {
	w := RNNWeights{WIH: New(8, 3), WHH: New(8, 1), WHR: New(1, 2)}
	for name, f := range map[string]func(){
		"whr_shape": func() {
			LSTM(NewInferenceTape(), New(1, 2, 3), nil, nil, RNNWeights{WIH: w.WIH, WHH: w.WHH, WHR: New(1, 3)})
		},
		"whh_shape": func() {
			LSTM(NewInferenceTape(), New(1, 2, 3), nil, nil, RNNWeights{WIH: w.WIH, WHH: New(8, 2), WHR: w.WHR})
		},
		"h0_size": func() { LSTM(NewInferenceTape(), New(1, 2, 3), New(1, 2), nil, w) },
		"c0_size": func() { LSTM(NewInferenceTape(), New(1, 2, 3), nil, New(1, 1), w) },
		"gru_whr": func() {
			GRU(NewInferenceTape(), New(1, 2, 3), nil, RNNWeights{WIH: New(6, 3), WHH: New(6, 2), WHR: New(1, 2)})
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
	// the valid configuration runs
	out, hT, cT := LSTM(NewInferenceTape(), New(1, 2, 3), New(1, 1), New(1, 2), w)
	if out.Shape[2] != 1 || hT.Shape[1] != 1 || cT.Shape[1] != 2 {
		t.Fatalf("projected shapes %v %v %v", out.Shape, hT.Shape, cT.Shape)
	}
}

// A two-layer LSTM encoder over a batch of sequences: the first layer's
// hidden states feed the second layer, whose last state summarises each
// sequence.
func ExampleLSTM() {
	const batch, steps, features, hidden = 2, 24, 1, 8
	layer := func(seed uint64, in int) RNNWeights {
		return RNNWeights{WIH: RandN(seed, 4*hidden, in), WHH: RandN(seed+1, 4*hidden, hidden),
			BIH: RandN(seed+2, 4*hidden), BHH: RandN(seed+3, 4*hidden)}
	}
	l1, l2 := layer(1, features), layer(5, hidden)
	x := RandN(9, batch, steps, features)
	tp := NewInferenceTape()
	h1, _, _ := LSTM(tp, x, nil, nil, l1)
	out, hT, cT := LSTM(tp, h1, nil, nil, l2)
	fmt.Println(out.Shape, hT.Shape, cT.Shape)
	// Output: [2 24 8] [2 8] [2 8]
}
