package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/streamcast/streamcast/engine/tensor"
)

func TestLayers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	conv, err := NewConv1d(8, 6, 3, tensor.Conv1dConfig{Groups: 2, Padding: 1}, true, rng)
	if err != nil {
		t.Fatal(err)
	}
	if s := conv.Weight.Shape; s[0] != 6 || s[1] != 4 || s[2] != 3 {
		t.Fatalf("conv weight shape %v", s)
	}
	b := 1 / math.Sqrt(4*3)
	if mx, _ := moments(conv.Weight.Data); mx > b {
		t.Fatalf("conv weight max %v > %v", mx, b)
	}
	ln, err := NewLayerNorm(6)
	if err != nil {
		t.Fatal(err)
	}
	emb, err := NewEmbedding(5, 6, rng)
	if err != nil {
		t.Fatal(err)
	}
	idx := []int{4, 0, 2}
	all := append(Prefixed("conv", conv), Prefixed("norm", ln)...)
	all = append(all, Prefixed("emb", emb)...)
	names := []string{"conv.weight", "conv.bias", "norm.weight", "norm.bias", "emb.weight"}
	for i, p := range all {
		if p.Name != names[i] {
			t.Fatalf("param %d %q, want %q", i, p.Name, names[i])
		}
	}
	x := tensor.RandN(7, 2, 8, 5)
	x.SetRequiresGrad(true)
	err = tensor.GradCheck(func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
		h := conv.Forward(tp, in[0]) // (2, 6, 5)
		h = tensor.Permute(tp, h, 0, 2, 1)
		return ln.Forward(tp, h) // over the 6 channels
	}, []*tensor.Tensor{x, conv.Weight, conv.Bias, ln.Weight, ln.Bias}, tensor.GradCheckOptions{Eps: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	err = tensor.GradCheck(func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
		return emb.Forward(tp, idx, 3)
	}, []*tensor.Tensor{emb.Weight}, tensor.GradCheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewConv1d(7, 6, 3, tensor.Conv1dConfig{Groups: 2}, true, rng); err == nil {
		t.Error("groups not dividing in accepted")
	}
	if _, err := NewLayerNorm(); err == nil {
		t.Error("empty LayerNorm accepted")
	}
	if _, err := NewEmbedding(0, 3, rng); err == nil {
		t.Error("empty Embedding accepted")
	}
}
