package tensor

import "testing"

func pool1dConfigOf(c e2Case) Pool1dConfig {
	return Pool1dConfig{Kernel: c.int("k"), Stride: c.int("s"), Padding: c.int("p"), CeilMode: c.bool("ceil"), ExcludePad: !c.bool("incl")}
}

func TestMaxPool1dGolden(t *testing.T) {
	runE2Golden(t, "maxpool1d", func(tp *Tape, c e2Case, in map[string]*Tensor) map[string]*Tensor {
		return map[string]*Tensor{"out": MaxPool1d(tp, in["x"], pool1dConfigOf(c))}
	})
}

func TestAvgPool1dGolden(t *testing.T) {
	runE2Golden(t, "avgpool1d", func(tp *Tape, c e2Case, in map[string]*Tensor) map[string]*Tensor {
		return map[string]*Tensor{"out": AvgPool1d(tp, in["x"], pool1dConfigOf(c))}
	})
}

func TestInterpolateLinearGolden(t *testing.T) {
	runE2Golden(t, "interp_linear", func(tp *Tape, c e2Case, in map[string]*Tensor) map[string]*Tensor {
		return map[string]*Tensor{"out": InterpolateLinear(tp, in["x"], c.int("size"))}
	})
}

// distinct returns a tensor whose values are a shuffled grid with gaps of
// 0.1, so max-pooling has no ties and finite differences never cross one.
func distinct(seed uint64, shape ...int) *Tensor {
	x := param(seed, shape...)
	n := len(x.Data)
	for i := range x.Data {
		x.Data[i] = float32((i*7919)%n) * 0.1
	}
	return x
}

func TestPoolInterpGradCheck(t *testing.T) {
	cases := []struct {
		name string
		f    func(tp *Tape, in []*Tensor) *Tensor
		x    *Tensor
	}{
		{"max_k3_s2_p1_ceil", func(tp *Tape, in []*Tensor) *Tensor {
			return MaxPool1d(tp, in[0], Pool1dConfig{Kernel: 3, Stride: 2, Padding: 1, CeilMode: true})
		}, distinct(41, 2, 3, 8)},
		{"max_overlap", func(tp *Tape, in []*Tensor) *Tensor {
			return MaxPool1d(tp, in[0], Pool1dConfig{Kernel: 4, Stride: 1})
		}, distinct(42, 3, 9)},
		{"avg_k3_s2_p1_ceil", func(tp *Tape, in []*Tensor) *Tensor {
			return AvgPool1d(tp, in[0], Pool1dConfig{Kernel: 3, Stride: 2, Padding: 1, CeilMode: true})
		}, param(43, 2, 3, 8)},
		{"avg_excl", func(tp *Tape, in []*Tensor) *Tensor {
			return AvgPool1d(tp, in[0], Pool1dConfig{Kernel: 4, Stride: 3, Padding: 2, CeilMode: true, ExcludePad: true})
		}, param(44, 2, 2, 7)},
		{"interp_up", func(tp *Tape, in []*Tensor) *Tensor { return InterpolateLinear(tp, in[0], 11) }, param(45, 2, 2, 4)},
		{"interp_down", func(tp *Tape, in []*Tensor) *Tensor { return InterpolateLinear(tp, in[0], 3) }, param(46, 1, 2, 8)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := GradCheck(c.f, []*Tensor{c.x}, GradCheckOptions{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPool1dOutLen(t *testing.T) {
	for _, c := range []struct {
		l    int
		cfg  Pool1dConfig
		want int
	}{
		{10, Pool1dConfig{Kernel: 4, CeilMode: true}, 3},
		{10, Pool1dConfig{Kernel: 4}, 2},
		{11, Pool1dConfig{Kernel: 3, Stride: 2, Padding: 1, CeilMode: true}, 6},
		{10, Pool1dConfig{Kernel: 3, Stride: 2, Padding: 1, CeilMode: true}, 6},
		{5, Pool1dConfig{Kernel: 2, Stride: 2, Padding: 1, CeilMode: true}, 3}, // a 4th window would start in the right padding
		{2, Pool1dConfig{Kernel: 3}, 0},
	} {
		if got := Pool1dOutLen(c.l, c.cfg); got != c.want {
			t.Errorf("Pool1dOutLen(%d, %+v) = %d, want %d", c.l, c.cfg, got, c.want)
		}
	}
}

func TestPoolPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"kernel0":    func() { MaxPool1d(NewInferenceTape(), New(1, 4), Pool1dConfig{}) },
		"bigpad":     func() { AvgPool1d(NewInferenceTape(), New(1, 4), Pool1dConfig{Kernel: 2, Padding: 2}) },
		"short":      func() { MaxPool1d(NewInferenceTape(), New(1, 2), Pool1dConfig{Kernel: 3}) },
		"rank1":      func() { AvgPool1d(NewInferenceTape(), New(4), Pool1dConfig{Kernel: 2}) },
		"interpsize": func() { InterpolateLinear(NewInferenceTape(), New(1, 4), 0) },
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

func TestPoolInterpInferenceNoAllocs(t *testing.T) {
	x := RandN(1, 4, 3, 24)
	tp := NewInferenceTape()
	run := func() {
		tp.Reset()
		m := MaxPool1d(tp, x, Pool1dConfig{Kernel: 4, CeilMode: true})
		a := AvgPool1d(tp, m, Pool1dConfig{Kernel: 2, CeilMode: true})
		InterpolateLinear(tp, a, 24)
	}
	run()
	if n := testing.AllocsPerRun(20, run); n != 0 {
		t.Fatalf("pool/interp inference allocates %v times per call", n)
	}
}
