package tensor

import (
	"testing"
)

func TestMultiHeadAttentionGolden(t *testing.T) {
	runE2Golden(t, "mha", func(tp *Tape, c e2Case, in map[string]*Tensor) map[string]*Tensor {
		m := &MultiHeadAttention{Heads: c.int("heads"), InProjWeight: in["inw"], InProjBias: in["inb"],
			OutProjWeight: in["outw"], OutProjBias: in["outb"]}
		key, value := in["key"], in["value"]
		if c.bool("self") {
			key, value = in["query"], in["query"]
		}
		out, _ := m.Forward(tp, in["query"], key, value, AttentionConfig{Mask: in["mask"]})
		return map[string]*Tensor{"out": out}
	})
}

func TestMultiHeadAttentionGradCheck(t *testing.T) {
	m, err := NewMultiHeadAttention(6, 2, true, 7)
	if err != nil {
		t.Fatal(err)
	}
	// non-zero biases so their gradients are exercised away from zero
	for i := range m.InProjBias.Data {
		m.InProjBias.Data[i] = float32(i%5-2) * 0.1
	}
	ins := append(m.Params(), param(101, 2, 3, 6), param(102, 2, 4, 6), param(103, 2, 4, 6))
	for _, self := range []bool{false, true} {
		err := GradCheck(func(tp *Tape, in []*Tensor) *Tensor {
			q, k, v := in[4], in[5], in[6]
			if self {
				k, v = q, q
			}
			out, _ := m.Forward(tp, q, k, v, AttentionConfig{Causal: self})
			return out
		}, ins, GradCheckOptions{})
		if err != nil {
			t.Fatalf("self=%v: %v", self, err)
		}
	}
}

func TestNewMultiHeadAttentionErrors(t *testing.T) {
	for _, c := range []struct{ e, h int }{{0, 1}, {6, 4}, {6, 0}} {
		if _, err := NewMultiHeadAttention(c.e, c.h, true, 1); err == nil {
			t.Errorf("NewMultiHeadAttention(%d, %d) accepted", c.e, c.h)
		}
	}
	m, err := NewMultiHeadAttention(8, 2, false, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Params()) != 2 {
		t.Fatalf("bias-free module has %d params, want 2", len(m.Params()))
	}
}

func TestMultiHeadAttentionNoAllocs(t *testing.T) {
	m, _ := NewMultiHeadAttention(16, 4, true, 3)
	x, y := RandN(1, 2, 6, 16), RandN(2, 2, 5, 16)
	tp := NewInferenceTape()
	run := func() {
		tp.Reset()
		m.Forward(tp, x, x, x, AttentionConfig{})
		m.Forward(tp, x, y, y, AttentionConfig{})
	}
	run()
	if n := testing.AllocsPerRun(20, run); n != 0 {
		t.Fatalf("MultiHeadAttention inference allocates %v times per call", n)
	}
}
