package tensor

import (
	"fmt"
	"testing"
)

func conv1dConfigOf(c e2Case) Conv1dConfig {
	return Conv1dConfig{Stride: c.int("stride"), Padding: c.int("padding"), Dilation: c.int("dilation"),
		Groups: c.int("groups"), Causal: c.bool("causal"), PadLeft: c.int("padl"), PadRight: c.int("padr"), Circular: c.bool("circular")}
}

func TestConv1dGolden(t *testing.T) {
	runE2Golden(t, "conv1d", func(tp *Tape, c e2Case, in map[string]*Tensor) map[string]*Tensor {
		return map[string]*Tensor{"out": Conv1d(tp, in["x"], in["w"], in["b"], conv1dConfigOf(c))}
	})
}

func TestConv1dGradCheck(t *testing.T) {
	cases := []struct {
		name      string
		n, cin, l int
		cout, k   int
		cfg       Conv1dConfig
		bias      bool
	}{
		{"basic", 2, 3, 7, 4, 3, Conv1dConfig{}, true},
		{"stride_pad_dil", 2, 2, 9, 3, 3, Conv1dConfig{Stride: 2, Padding: 2, Dilation: 2}, true},
		{"groups", 1, 4, 6, 2, 2, Conv1dConfig{Groups: 2, Padding: 1}, false},
		{"causal", 3, 2, 6, 2, 2, Conv1dConfig{Causal: true, Dilation: 2}, true},
		{"asymmetric", 2, 2, 6, 2, 3, Conv1dConfig{PadLeft: 1, PadRight: 3, Stride: 2}, true},
		{"circular", 2, 3, 5, 2, 3, Conv1dConfig{Padding: 2, Circular: true, Dilation: 2}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := c.cfg.withDefaults().Groups
			ins := []*Tensor{param(31, c.n, c.cin, c.l), param(32, c.cout, c.cin/g, c.k)}
			if c.bias {
				ins = append(ins, param(33, c.cout))
			}
			err := GradCheck(func(tp *Tape, in []*Tensor) *Tensor {
				var b *Tensor
				if len(in) == 3 {
					b = in[2]
				}
				return Conv1d(tp, in[0], in[1], b, c.cfg)
			}, ins, GradCheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestConv1dOutLen(t *testing.T) {
	for _, c := range []struct {
		l, k int
		cfg  Conv1dConfig
		want int
	}{
		{10, 3, Conv1dConfig{}, 8},
		{10, 3, Conv1dConfig{Causal: true, Dilation: 4}, 10},
		{11, 3, Conv1dConfig{Stride: 2, Padding: 1, Dilation: 2}, 5},
		{2, 5, Conv1dConfig{}, 0},
		{9, 2, Conv1dConfig{PadRight: 4, Dilation: 4}, 9},
	} {
		if got := Conv1dOutLen(c.l, c.k, c.cfg); got != c.want {
			t.Errorf("Conv1dOutLen(%d, %d, %+v) = %d, want %d", c.l, c.k, c.cfg, got, c.want)
		}
	}
}

func TestConv1dPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"rank":     func() { Conv1d(NewInferenceTape(), New(2, 3), New(1, 3, 1), nil, Conv1dConfig{}) },
		"channels": func() { Conv1d(NewInferenceTape(), New(1, 3, 5), New(2, 2, 1), nil, Conv1dConfig{}) },
		"groups":   func() { Conv1d(NewInferenceTape(), New(1, 3, 5), New(2, 1, 1), nil, Conv1dConfig{Groups: 2}) },
		"short":    func() { Conv1d(NewInferenceTape(), New(1, 1, 2), New(1, 1, 3), nil, Conv1dConfig{}) },
		"bias":     func() { Conv1d(NewInferenceTape(), New(1, 1, 4), New(2, 1, 3), New(3), Conv1dConfig{}) },
		"causal_pad": func() {
			Conv1d(NewInferenceTape(), New(1, 1, 4), New(1, 1, 3), nil, Conv1dConfig{Causal: true, Padding: 1})
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

func TestConv1dInferenceNoAllocs(t *testing.T) {
	x, w, b := RandN(1, 4, 8, 32), RandN(2, 16, 8, 3), RandN(3, 16)
	tp := NewInferenceTape()
	run := func() {
		tp.Reset()
		Conv1d(tp, x, w, b, Conv1dConfig{Causal: true, Dilation: 2})
		Conv1d(tp, x, w, b, Conv1dConfig{Padding: 1, Circular: true})
	}
	run()
	if n := testing.AllocsPerRun(20, run); n != 0 {
		t.Fatalf("Conv1d inference allocates %v times per call", n)
	}
}

// A causal (TCN-style) convolution: every output depends only on the
// current and earlier inputs.
func ExampleConv1d() {
	x := FromSlice([]float32{1, 2, 3, 4, 5}, 1, 1, 5) // (N=1, Cin=1, L=5)
	w := FromSlice([]float32{1, 10}, 1, 1, 2)         // out[t] = 1·x[t−2] + 10·x[t]
	y := Conv1d(NewInferenceTape(), x, w, nil, Conv1dConfig{Causal: true, Dilation: 2})
	fmt.Println(y.Shape, y.Data)
	// Output: [1 1 5] [10 20 31 42 53]
}

func BenchmarkConv1dTCN(b *testing.B) {
	// TCN-like layer: batch 32, 64 channels, 168 steps, kernel 2, dilation 4.
	x, w, bias := param(1, 32, 64, 168), param(2, 64, 64, 2), param(3, 64)
	tp := NewTape()
	seed := make([]float32, 32*64*168)
	for i := range seed {
		seed[i] = 1
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tp.Reset()
		y := Conv1d(tp, x, w, bias, Conv1dConfig{Causal: true, Dilation: 4})
		tp.BackwardWith(y, seed)
	}
}
