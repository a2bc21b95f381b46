package tensor

import (
	"strings"
	"testing"
)

func TestGradShape(t *testing.T) {
	runGradCases(t, []gradCase{
		{name: "Reshape", f: func(tp *Tape, in []*Tensor) *Tensor { return Reshape(tp, in[0], 4, -1) },
			inputs: []*Tensor{param(50, 2, 3, 4)}},
		{name: "ReshapeChain", f: func(tp *Tape, in []*Tensor) *Tensor {
			// The aliased view's gradient must reach x through a later op and
			// add to a second use of x.
			v := Reshape(tp, in[0], 6, 4)
			return Add(tp, Mul(tp, v, v), Reshape(tp, in[0], 6, 4))
		}, inputs: []*Tensor{param(51, 2, 3, 4)}},
		{name: "UnsqueezeSqueeze", f: func(tp *Tape, in []*Tensor) *Tensor {
			return Squeeze(tp, Mul(tp, Unsqueeze(tp, in[0], 1), in[1]), 0)
		}, inputs: []*Tensor{param(52, 1, 3), param(53, 1, 2, 3)}},
		{name: "Transpose", f: func(tp *Tape, in []*Tensor) *Tensor { return Transpose(tp, in[0], 0, 2) },
			inputs: []*Tensor{param(54, 2, 3, 4)}},
		{name: "Permute", f: func(tp *Tape, in []*Tensor) *Tensor { return Permute(tp, in[0], 2, 0, 3, 1) },
			inputs: []*Tensor{param(55, 2, 3, 4, 2)}},
		{name: "Concat", f: func(tp *Tape, in []*Tensor) *Tensor { return Concat(tp, 1, in[0], in[1], in[2]) },
			inputs: []*Tensor{param(56, 2, 1, 3), param(57, 2, 4, 3), New(2, 2, 3)}},
		{name: "Slice", f: func(tp *Tape, in []*Tensor) *Tensor { return Slice(tp, in[0], 1, 1, -1, 2) },
			inputs: []*Tensor{param(58, 2, 7, 3)}},
		{name: "IndexSelect", f: func(tp *Tape, in []*Tensor) *Tensor { return IndexSelect(tp, in[0], 1, []int{2, 0, 2, 1}) },
			inputs: []*Tensor{param(59, 2, 3, 2)}},
		{name: "Gather", f: func(tp *Tape, in []*Tensor) *Tensor {
			return Gather(tp, in[0], 2, []int{0, 3, 3, 1, 2, 2, 0, 0}, []int{2, 2, 2})
		}, inputs: []*Tensor{param(60, 2, 3, 4)}},
		{name: "Embedding", f: func(tp *Tape, in []*Tensor) *Tensor { return Embedding(tp, in[0], []int{4, 1, 4, 0, 2, 2}, 2, 3) },
			inputs: []*Tensor{param(61, 5, 3)}},
	})
}

func TestReshapeAliases(t *testing.T) {
	x := param(1, 2, 6)
	tp := NewTape()
	v := Reshape(tp, x, 3, -1)
	if v.Shape[0] != 3 || v.Shape[1] != 4 || &v.Data[0] != &x.Data[0] || &v.Grad[0] != &x.Grad[0] {
		t.Fatalf("Reshape did not alias: %v", v)
	}
	if tp.Len() != 0 {
		t.Fatalf("Reshape recorded %d steps", tp.Len())
	}
	if w := Reshape(NewInferenceTape(), x, 12); w.RequiresGrad() || w.Grad != nil {
		t.Fatal("no-grad Reshape requires grad")
	}
}

func TestSliceBounds(t *testing.T) {
	x := FromSlice([]float32{0, 1, 2, 3, 4, 5}, 6)
	cases := []struct {
		start, end, step int
		want             []float32
	}{
		{0, 6, 1, []float32{0, 1, 2, 3, 4, 5}},
		{-2, 100, 1, []float32{4, 5}},
		{-100, 2, 1, []float32{0, 1}},
		{4, 2, 1, nil},
		{1, 6, 2, []float32{1, 3, 5}},
		{0, 5, 3, []float32{0, 3}},
	}
	for _, c := range cases {
		got := Slice(NewInferenceTape(), x, 0, c.start, c.end, c.step)
		if len(got.Data) != len(c.want) || got.Shape[0] != len(c.want) {
			t.Fatalf("Slice(%d:%d:%d) = %v, want %v", c.start, c.end, c.step, got.Data, c.want)
		}
		for i := range c.want {
			if got.Data[i] != c.want[i] {
				t.Fatalf("Slice(%d:%d:%d) = %v, want %v", c.start, c.end, c.step, got.Data, c.want)
			}
		}
	}
}

func TestShapePanics(t *testing.T) {
	cases := []struct {
		name, msg string
		f         func()
	}{
		{"ReshapeCount", "Reshape", func() { Reshape(NewTape(), New(2, 3), 4) }},
		{"ReshapeTwoInfer", "Reshape", func() { Reshape(NewTape(), New(2, 3), -1, -1) }},
		{"ReshapeInferZero", "Reshape", func() { Reshape(NewTape(), New(2, 3), 0, -1) }},
		{"PermuteDup", "Permute", func() { Permute(NewTape(), New(2, 3), 0, 0) }},
		{"PermuteLen", "Permute", func() { Permute(NewTape(), New(2, 3), 0) }},
		{"ConcatShape", "Concat", func() { Concat(NewTape(), 0, New(2, 3), New(2, 4)) }},
		{"ConcatNone", "Concat", func() { Concat(NewTape(), 0) }},
		{"SliceStep", "Slice", func() { Slice(NewTape(), New(4), 0, 0, 4, 0) }},
		{"SqueezeNotOne", "Squeeze", func() { Squeeze(NewTape(), New(2, 3), 0) }},
		{"IndexRange", "IndexSelect", func() { IndexSelect(NewTape(), New(2, 3), 1, []int{3}) }},
		{"GatherShape", "Gather", func() { Gather(NewTape(), New(2, 3), 1, []int{0, 0, 0}, []int{3, 1}) }},
		{"GatherNeg", "Gather", func() { Gather(NewTape(), New(2, 3), 1, []int{-1, 0}, []int{2, 1}) }},
		{"EmbeddingRange", "Embedding", func() { Embedding(NewTape(), New(4, 2), []int{4}) }},
		{"EmbeddingShape", "Embedding", func() { Embedding(NewTape(), New(4, 2), []int{1, 2, 3}, 2, 2) }},
		{"BroadcastAdd", "Add", func() { Add(NewTape(), New(2, 3), New(4)) }},
		{"BroadcastTo", "BroadcastTo", func() { BroadcastTo(NewTape(), New(2, 3), 3, 3) }},
		{"AxisRange", "Sum", func() { Sum(NewTape(), New(2, 3), 2, false) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				if s, ok := r.(string); !ok || !strings.Contains(s, c.msg) {
					t.Fatalf("panic %v does not name %s", r, c.msg)
				}
			}()
			c.f()
		})
	}
	if err := CheckIndices([]int{0, 2, 5}, 5); err == nil || !strings.Contains(err.Error(), "index 5 at position 2") {
		t.Fatalf("CheckIndices error %v", err)
	}
	if err := CheckIndices([]int{0, 4}, 5); err != nil {
		t.Fatal(err)
	}
}

// TestTransposeTiled checks the tiled transpose (sizes not multiples of the
// tile, several leading blocks) against direct indexing, both directions.
func TestTransposeTiled(t *testing.T) {
	x := param(70, 3, 37, 53)
	tp := NewTape()
	y := Transpose(tp, x, 1, 2)
	seed := make([]float32, len(y.Data))
	for i := range seed {
		seed[i] = float32(i%11) - 5
	}
	x.ZeroGrad()
	tp.BackwardWith(y, seed)
	for b := 0; b < 3; b++ {
		for i := 0; i < 37; i++ {
			for j := 0; j < 53; j++ {
				xi, yi := (b*37+i)*53+j, (b*53+j)*37+i
				if y.Data[yi] != x.Data[xi] || x.Grad[xi] != seed[yi] {
					t.Fatalf("(%d,%d,%d): out %g want %g, grad %g want %g", b, i, j, y.Data[yi], x.Data[xi], x.Grad[xi], seed[yi])
				}
			}
		}
	}
}
