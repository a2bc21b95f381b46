package tensor

import (
	"math"
	"testing"
)

// TestE2OpsOnPoisonedArena replays the E2 ops on a tape whose recycled
// buffers were filled with NaN and compares outputs and gradients bit for
// bit with a fresh tape: any buffer taken unzeroed (rawScratch) that is read
// before being written shows up as a NaN or a difference.
func TestE2OpsOnPoisonedArena(t *testing.T) {
	lw := RNNWeights{WIH: param(1, 16, 3), WHH: param(2, 16, 4), BIH: param(3, 16), BHH: param(4, 16)}
	lwNoBias := RNNWeights{WIH: lw.WIH, WHH: lw.WHH}
	pw := RNNWeights{WIH: param(5, 16, 3), WHH: param(6, 16, 2), BHH: param(7, 16), WHR: param(8, 2, 4)}
	gw := RNNWeights{WIH: param(9, 12, 3), WHH: param(10, 12, 4), BIH: param(11, 12)}
	gwFull := RNNWeights{WIH: gw.WIH, WHH: gw.WHH, BIH: gw.BIH, BHH: param(12, 12)}
	ew := RNNWeights{WIH: param(13, 4, 3), WHH: param(14, 4, 4), BHH: param(15, 4)}
	cw, cb := param(16, 4, 5, 3), param(17, 4)
	mha, err := NewMultiHeadAttention(3, 1, true, 18)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]func(tp *Tape, x, h *Tensor) *Tensor{
		"LSTM": func(tp *Tape, x, h *Tensor) *Tensor {
			o, _, c := LSTM(tp, x, h, nil, lw)
			return Add(tp, SumAll(tp, o), SumAll(tp, c))
		},
		"LSTMNoBias": func(tp *Tape, x, h *Tensor) *Tensor { o, _, _ := LSTM(tp, x, nil, nil, lwNoBias); return o },
		"LSTMProj":   func(tp *Tape, x, h *Tensor) *Tensor { o, _, _ := LSTM(tp, x, nil, nil, pw); return o },
		"GRU":        func(tp *Tape, x, h *Tensor) *Tensor { o, _ := GRU(tp, x, nil, gw); return o },
		"GRUFull":    func(tp *Tape, x, h *Tensor) *Tensor { o, _ := GRU(tp, x, h, gwFull); return o },
		"Elman":      func(tp *Tape, x, h *Tensor) *Tensor { o, _ := ElmanRNN(tp, x, nil, ew, false); return o },
		"Conv": func(tp *Tape, x, h *Tensor) *Tensor {
			return Conv1d(tp, x, cw, cb, Conv1dConfig{Padding: 1, Circular: true})
		},
		"ConvCausal": func(tp *Tape, x, h *Tensor) *Tensor {
			return Conv1d(tp, x, cw, nil, Conv1dConfig{Causal: true, Stride: 2})
		},
		"MaxPool": func(tp *Tape, x, h *Tensor) *Tensor {
			return MaxPool1d(tp, x, Pool1dConfig{Kernel: 2, CeilMode: true})
		},
		"BMM": func(tp *Tape, x, h *Tensor) *Tensor {
			return BMM(tp, x, x, true, false)
		},
		"AvgPoolInterp": func(tp *Tape, x, h *Tensor) *Tensor {
			return InterpolateLinear(tp, AvgPool1d(tp, x, Pool1dConfig{Kernel: 2, Padding: 1, CeilMode: true}), 7)
		},
		"Cells": func(tp *Tape, x, h *Tensor) *Tensor {
			xc := Reshape(tp, x, 10, 3)
			hc := Reshape(tp, BroadcastTo(tp, Reshape(tp, h, 2, 1, 4), 2, 5, 4), 10, 4)
			h1, c1 := LSTMCell(tp, xc, hc, nil, lw)
			h2 := GRUCell(tp, xc, h1, gwFull)
			h3 := ElmanRNNCell(tp, xc, h2, ew, true)
			return Add(tp, SumAll(tp, h3), SumAll(tp, c1))
		},
		"MHA": func(tp *Tape, x, h *Tensor) *Tensor {
			o, _ := mha.Forward(tp, x, x, x, AttentionConfig{})
			o2, _ := mha.Forward(tp, o, x, x, AttentionConfig{})
			return o2
		},
		"Attention": func(tp *Tape, x, h *Tensor) *Tensor {
			o, s := Attention(tp, x, x, x, AttentionConfig{Causal: true})
			o2, _ := Attention(tp, o, x, x, AttentionConfig{Prev: s})
			return o2
		},
	}
	for name, f := range ops {
		t.Run(name, func(t *testing.T) {
			run := func(tp *Tape) (out, grads []float32) {
				x, h := param(20, 2, 5, 3), param(21, 2, 4)
				for _, w := range []*Tensor{lw.WIH, lw.WHH, pw.WHR, gw.WIH, cw, cb} {
					w.ZeroGrad()
				}
				o := f(tp, x, h)
				seed := make([]float32, len(o.Data))
				for i := range seed {
					seed[i] = float32(i%7) - 3
				}
				tp.BackwardWith(o, seed)
				grads = append(append(append(append([]float32(nil), x.Grad...), h.Grad...), lw.WIH.Grad...), cw.Grad...)
				grads = append(append(grads, pw.WHR.Grad...), gw.WIH.Grad...)
				return append([]float32(nil), o.Data...), grads
			}
			wantOut, wantGrad := run(NewTape())
			tp := NewTape()
			run(tp)
			for _, b := range tp.arena.bufs {
				b = b[:cap(b)]
				for i := range b {
					b[i] = float32(math.NaN())
				}
			}
			tp.Reset()
			gotOut, gotGrad := run(tp)
			for i := range wantOut {
				if math.Float32bits(gotOut[i]) != math.Float32bits(wantOut[i]) {
					t.Fatalf("output[%d] = %g on a recycled arena, want %g", i, gotOut[i], wantOut[i])
				}
			}
			for i := range wantGrad {
				if math.Float32bits(gotGrad[i]) != math.Float32bits(wantGrad[i]) {
					t.Fatalf("gradient[%d] = %g on a recycled arena, want %g", i, gotGrad[i], wantGrad[i])
				}
			}
		})
	}
}
