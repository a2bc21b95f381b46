package tensor

import (
	"fmt"
	"math"
	"testing"
)

func TestAttentionGolden(t *testing.T) {
	runE2Golden(t, "attention", func(tp *Tape, c e2Case, in map[string]*Tensor) map[string]*Tensor {
		out, scores := Attention(tp, in["q"], in["k"], in["v"], AttentionConfig{
			Mask: in["mask"], Prev: in["prev"], Causal: c.bool("causal"), Scale: float32(c.float("scale"))})
		return map[string]*Tensor{"out": out, "scores": scores}
	})
}

func TestAttentionGradCheck(t *testing.T) {
	mask := func(seed uint64) *Tensor { return param(seed, 3, 4) }
	cases := []struct {
		name string
		cfg  func(in []*Tensor) AttentionConfig
		ins  []*Tensor
		both bool // project both outputs
	}{
		{"plain", func([]*Tensor) AttentionConfig { return AttentionConfig{} },
			[]*Tensor{param(81, 2, 2, 3, 4), param(82, 2, 2, 4, 4), param(83, 2, 2, 4, 3)}, false},
		{"mask_prev_scores", func(in []*Tensor) AttentionConfig { return AttentionConfig{Mask: in[3], Prev: in[4], Scale: 0.7} },
			[]*Tensor{param(84, 2, 3, 4), param(85, 2, 4, 4), param(86, 2, 4, 2), mask(87), param(88, 2, 3, 4)}, true},
		{"causal_scores", func([]*Tensor) AttentionConfig { return AttentionConfig{Causal: true} },
			[]*Tensor{param(89, 1, 2, 4, 3), param(90, 1, 2, 4, 3), param(91, 1, 2, 4, 3)}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := GradCheck(func(tp *Tape, in []*Tensor) *Tensor {
				out, scores := Attention(tp, in[0], in[1], in[2], c.cfg(in))
				if !c.both {
					return out
				}
				// masked (−∞) scores are excluded: weight the finite ones.
				s := SumAll(tp, out)
				fin := tp.Result(scores.Shape, scores)
				for i, v := range scores.Data {
					if !math.IsInf(float64(v), 0) {
						fin.Data[i] = v * float32(i%5-2)
					}
				}
				if fin.RequiresGrad() {
					tp.Record(func() {
						for i, v := range scores.Data {
							if !math.IsInf(float64(v), 0) {
								scores.Grad[i] += fin.Grad[i] * float32(i%5-2)
							}
						}
					})
				}
				return Add(tp, s, SumAll(tp, fin))
			}, c.ins, GradCheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAttentionFullyMaskedRow(t *testing.T) {
	inf := float32(math.Inf(-1))
	mask := FromSlice([]float32{inf, inf, 0, 0}, 2, 2)
	q, k, v := RandN(1, 1, 2, 3), RandN(2, 1, 2, 3), RandN(3, 1, 2, 3)
	out, _ := Attention(NewInferenceTape(), q, k, v, AttentionConfig{Mask: mask})
	for j := 0; j < 3; j++ {
		if out.Data[j] != 0 {
			t.Fatalf("fully masked row gives %v, want zeros", out.Data[:3])
		}
	}
}

func TestAttentionPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"rank":  func() { Attention(NewInferenceTape(), New(2, 3), New(2, 3), New(2, 3), AttentionConfig{}) },
		"dim":   func() { Attention(NewInferenceTape(), New(1, 2, 3), New(1, 2, 4), New(1, 2, 3), AttentionConfig{}) },
		"batch": func() { Attention(NewInferenceTape(), New(1, 2, 3), New(2, 2, 3), New(2, 2, 3), AttentionConfig{}) },
		"mask": func() {
			Attention(NewInferenceTape(), New(1, 2, 3), New(1, 2, 3), New(1, 2, 3), AttentionConfig{Mask: New(2, 3)})
		},
		"prev": func() {
			Attention(NewInferenceTape(), New(1, 2, 3), New(1, 2, 3), New(1, 2, 3), AttentionConfig{Prev: New(1, 2, 3)})
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
}

func TestAttentionInferenceNoAllocs(t *testing.T) {
	q, k, v := RandN(1, 2, 4, 6, 8), RandN(2, 2, 4, 6, 8), RandN(3, 2, 4, 6, 8)
	tp := NewInferenceTape()
	run := func() {
		tp.Reset()
		_, s := Attention(tp, q, k, v, AttentionConfig{Causal: true})
		Attention(tp, q, k, v, AttentionConfig{Prev: s})
	}
	run()
	if n := testing.AllocsPerRun(20, run); n != 0 {
		t.Fatalf("Attention inference allocates %v times per call", n)
	}
}

func BenchmarkAttentionPatchTST(b *testing.B) {
	// PatchTST-like: 32 series × 16 heads, 42 patches, head dim 8.
	q, k, v := param(1, 32, 16, 42, 8), param(2, 32, 16, 42, 8), param(3, 32, 16, 42, 8)
	tp := NewTape()
	for i := 0; i < b.N; i++ {
		tp.Reset()
		out, _ := Attention(tp, q, k, v, AttentionConfig{})
		tp.Backward(SumAll(tp, out))
	}
}

// PatchTST-style residual attention: the second layer adds the first
// layer's pre-softmax scores to its own.
func ExampleAttention() {
	const batch, heads, patches, dim = 1, 2, 4, 3
	q, k, v := RandN(1, batch, heads, patches, dim), RandN(2, batch, heads, patches, dim), RandN(3, batch, heads, patches, dim)
	tp := NewInferenceTape()
	out1, scores1 := Attention(tp, q, k, v, AttentionConfig{})
	out2, scores2 := Attention(tp, out1, k, v, AttentionConfig{Prev: scores1})
	fmt.Println(out2.Shape, scores2.Shape)
	// Output: [1 2 4 3] [1 2 4 4]
}
