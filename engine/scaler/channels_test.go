package scaler

import (
	"testing"

	"github.com/streamcast/streamcast/engine/tensor"
)

// transpose turns [n, l, c] into rows [n·c, l] (row b·c+ch).
func transpose(x []float32, n, l, c int) []float32 {
	out := make([]float32, len(x))
	for b := range n {
		for t := range l {
			for ch := range c {
				out[(b*c+ch)*l+t] = x[(b*l+t)*c+ch]
			}
		}
	}
	return out
}

func TestFitChannelsMatchesRows(t *testing.T) {
	const n, l, c = 3, 9, 4
	x := tensor.RandN(21, n, l, c)
	for i := range x.Data {
		x.Data[i] = x.Data[i]*float32(1+i%c) + float32(i%c) // channel-dependent level and spread
	}
	x.Data[5] = 2 // a few ties
	x.Data[9] = 2
	mask := make([]float32, n*l)
	rowMask := make([]float32, n*c*l)
	for b := range n {
		for tt := range l {
			if tt < l-3 || (b == 1 && tt == 0) {
				mask[b*l+tt] = 1
			}
		}
		for ch := range c {
			copy(rowMask[(b*c+ch)*l:(b*c+ch+1)*l], mask[b*l:(b+1)*l])
		}
	}
	xr := transpose(x.Data, n, l, c)
	for k := Identity; k <= RevIN; k++ {
		s, _ := New(k, c)
		loc, scale := make([]float32, n*c), make([]float32, n*c)
		rl, rs := make([]float32, n*c), make([]float32, n*c)
		s.FitChannels(loc, scale, x.Data, mask, n, l, c)
		s.Fit(rl, rs, xr, rowMask, n*c, l)
		for i := range loc {
			if loc[i] != rl[i] || scale[i] != rs[i] {
				t.Fatalf("%v stat %d: channels (%v, %v), rows (%v, %v)", k, i, loc[i], scale[i], rl[i], rs[i])
			}
		}
		tp := tensor.NewInferenceTape()
		z := ScaleChannels(tp, x, loc, scale, c)
		zr := Scale(tp, tensor.FromSlice(xr, n*c, l), rl, rs)
		back := InverseChannels(tp, z, loc, scale, c)
		zt := transpose(z.Data, n, l, c)
		for i := range zt {
			if zt[i] != zr.Data[i] {
				t.Fatalf("%v: scaled value %d differs: %v vs %v", k, i, zt[i], zr.Data[i])
			}
		}
		for i, v := range back.Data {
			if !near(v, float64(x.Data[i]), 1e-5) {
				t.Fatalf("%v: inverse[%d] = %v, x %v", k, i, v, x.Data[i])
			}
		}
	}
}

func TestChannelsGradCheck(t *testing.T) {
	loc := []float32{0.5, -1, 2, 0, 1, -2}
	scale := []float32{2, 0.5, 1.5, 1, 3, 0.7}
	for name, f := range map[string]func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor{
		"ScaleChannels": func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
			return ScaleChannels(tp, in[0], loc, scale, 3)
		},
		"InverseChannels": func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
			return InverseChannels(tp, in[0], loc, scale, 3)
		},
	} {
		if err := tensor.GradCheck(f, []*tensor.Tensor{param(31, 2, 4, 3)}, tensor.GradCheckOptions{Eps: 1e-3}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestFitChannelsNoAllocs(t *testing.T) {
	const n, l, c = 16, 48, 3
	x := tensor.RandN(2, n, l, c)
	loc, scale := make([]float32, n*c), make([]float32, n*c)
	s, _ := New(Robust, c)
	tp := tensor.NewInferenceTape()
	run := func() {
		tp.Reset()
		s.FitChannels(loc, scale, x.Data, nil, n, l, c)
		InverseChannels(tp, ScaleChannels(tp, x, loc, scale, c), loc, scale, c)
	}
	run()
	if a := testing.AllocsPerRun(10, run); a != 0 {
		t.Fatalf("%v allocations per call", a)
	}
}

func TestChannelSelectionRevIN(t *testing.T) {
	const n, l, c = 2, 6, 3
	x := tensor.RandN(41, n, l, c)
	s, _ := New(RevIN, c)
	copy(s.Weight.Data, []float32{0.5, 2, 3})
	copy(s.Bias.Data, []float32{1, -1, 4})
	loc, scale := make([]float32, n*c), make([]float32, n*c)
	s.FitChannels(loc, scale, x.Data, nil, n, l, c)
	tl, ts := make([]float32, n), make([]float32, n)
	SelectChannel(tl, ts, loc, scale, c, 1)
	if tl[1] != loc[4] || ts[0] != scale[1] {
		t.Fatalf("SelectChannel: %v %v from %v %v", tl, ts, loc, scale)
	}
	z := param(42, n, 4)
	tp := tensor.NewTape()
	y := s.InverseTransformChannel(tp, z, tl, ts, 1)
	for b := range n {
		for i := range 4 {
			want := z.Data[b*4+i]*ts[b]*(2+Eps) + tl[b] - 1
			if !near(y.Data[b*4+i], float64(want), 1e-6) {
				t.Fatalf("y[%d,%d] = %v, want %v", b, i, y.Data[b*4+i], want)
			}
		}
	}
	al, as := make([]float32, n), make([]float32, n)
	s.AnchorChannel(al, as, tl, ts, 1)
	lt, st := s.AnchorTensorsChannel(tp, tl, ts, 1)
	for b := range n {
		if al[b] != tl[b]-1 || al[b] != lt.Data[b] || as[b] != st.Data[b] {
			t.Fatalf("anchors %v %v / %v %v", al, as, lt.Data, st.Data)
		}
	}
	err := tensor.GradCheck(func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
		return s.InverseTransformChannel(tp, in[0], tl, ts, 1)
	}, []*tensor.Tensor{z, s.Weight, s.Bias}, tensor.GradCheckOptions{Eps: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
}

func TestScaleValuesMatchesScale(t *testing.T) {
	x := tensor.RandN(51, 3, 5)
	loc, scale := []float32{0.1, -2, 3}, []float32{1.5, 0.3, 7}
	z := Scale(tensor.NewInferenceTape(), x, loc, scale)
	y := append([]float32(nil), x.Data...)
	ScaleValues(y, loc, scale)
	for i := range y {
		if y[i] != z.Data[i] {
			t.Fatalf("ScaleValues[%d] = %v, Scale %v", i, y[i], z.Data[i])
		}
	}
}
