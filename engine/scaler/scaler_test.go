package scaler

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/streamcast/streamcast/engine/tensor"
)

type kindGolden struct {
	Rows  []int     `json:"rows"`
	Loc   []float64 `json:"loc"`
	Scale []float64 `json:"scale"`
	Z     []float64 `json:"z"`
}

type golden struct {
	B, L  int
	NaN   []int                 `json:"nan"`
	X     []float32             `json:"x"`
	Mask  []float32             `json:"mask"`
	Kinds map[string]kindGolden `json:"kinds"`
	RevIN struct {
		W, B     []float32
		Zhat     []float32 `json:"zhat"`
		Y        []float64 `json:"y"`
		R        []float32 `json:"r"`
		GradZhat []float64 `json:"grad_zhat"`
		GradW    []float64 `json:"grad_w"`
		GradB    []float64 `json:"grad_b"`
	} `json:"revin"`
}

func loadGolden(t testing.TB) *golden {
	t.Helper()
	b, err := os.ReadFile("testdata/scalers.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	for _, i := range g.NaN {
		g.X[i] = float32(math.NaN())
	}
	return &g
}

func near(got float32, want, tol float64) bool {
	return math.Abs(float64(got)-want) <= tol*math.Max(1, math.Abs(want))
}

func TestStatisticsAgainstTorch(t *testing.T) {
	g := loadGolden(t)
	for name, want := range g.Kinds {
		t.Run(name, func(t *testing.T) {
			k, err := ParseKind(name)
			if err != nil {
				t.Fatal(err)
			}
			s, _ := New(k, 1)
			loc, scale := make([]float32, g.B), make([]float32, g.B)
			s.Fit(loc, scale, g.X, g.Mask, g.B, g.L)
			x := tensor.FromSlice(g.X, g.B, g.L)
			z := s.Transform(tensor.NewInferenceTape(), x, loc, scale)
			back := s.InverseTransform(tensor.NewInferenceTape(), z, loc, scale)
			for _, r := range want.Rows {
				if k != MinMax1 && (!near(loc[r], want.Loc[r], 1e-6) || !near(scale[r], want.Scale[r], 1e-6)) {
					t.Errorf("row %d: loc %v scale %v, torch %v %v", r, loc[r], scale[r], want.Loc[r], want.Scale[r])
				}
				for i := r * g.L; i < (r+1)*g.L; i++ {
					if g.X[i] != g.X[i] {
						continue
					}
					if !near(z.Data[i], want.Z[i], 1e-5) {
						t.Errorf("z[%d] = %v, torch %v", i, z.Data[i], want.Z[i])
					}
					if !near(back.Data[i], float64(g.X[i]), 1e-5) {
						t.Errorf("inverse[%d] = %v, x %v", i, back.Data[i], g.X[i])
					}
				}
			}
		})
	}
}

func TestEmptyWindows(t *testing.T) {
	x := []float32{1, 2, 3}
	mask := []float32{0, 0, 0}
	for k := Identity; k <= RevIN; k++ {
		s, _ := New(k, 1)
		loc, scale := []float32{9}, []float32{9}
		s.Fit(loc, scale, x, mask, 1, 3)
		want := float32(1 + Eps)
		if k == Identity {
			want = 1
		}
		if k == MinMax1 {
			want = (1 + Eps) / 2
		}
		if loc[0] != 0 && k != MinMax1 || scale[0] != want {
			t.Errorf("%v: all-masked window gives loc %v scale %v", k, loc[0], scale[0])
		}
	}
}

func TestRevINAgainstTorch(t *testing.T) {
	g := loadGolden(t)
	s, err := New(RevIN, 2)
	if err != nil {
		t.Fatal(err)
	}
	if s.Weight.Data[0] != 1 || s.Bias.Data[1] != 0 {
		t.Fatal("RevIN init must be weight 1, bias 0")
	}
	copy(s.Weight.Data, g.RevIN.W)
	copy(s.Bias.Data, g.RevIN.B)
	loc, scale := make([]float32, g.B), make([]float32, g.B)
	s.Fit(loc, scale, g.X, g.Mask, g.B, g.L)
	zh := tensor.FromSlice(append([]float32(nil), g.RevIN.Zhat...), g.B, 3)
	zh.SetRequiresGrad(true)
	tp := tensor.NewTape()
	y := s.InverseTransform(tp, zh, loc, scale)
	for i, v := range y.Data {
		if !near(v, g.RevIN.Y[i], 1e-5) {
			t.Fatalf("y[%d] = %v, torch %v", i, v, g.RevIN.Y[i])
		}
	}
	tp.BackwardWith(y, g.RevIN.R)
	for i, v := range zh.Grad {
		if !near(v, g.RevIN.GradZhat[i], 1e-5) {
			t.Fatalf("grad zhat[%d] = %v, torch %v", i, v, g.RevIN.GradZhat[i])
		}
	}
	for c := range 2 {
		if !near(s.Weight.Grad[c], g.RevIN.GradW[c], 1e-5) || !near(s.Bias.Grad[c], g.RevIN.GradB[c], 1e-5) {
			t.Fatalf("channel %d: grad w %v b %v, torch %v %v", c, s.Weight.Grad[c], s.Bias.Grad[c], g.RevIN.GradW[c], g.RevIN.GradB[c])
		}
	}
	al, as := make([]float32, g.B), make([]float32, g.B)
	s.Anchor(al, as, loc, scale)
	for r := range g.B {
		c := r % 2
		if al[r] != loc[r]+g.RevIN.B[c] || math.Abs(float64(as[r]-scale[r]*(g.RevIN.W[c]+Eps))) > 1e-6 {
			t.Fatalf("Anchor row %d: %v %v", r, al[r], as[r])
		}
	}
	if ps := s.Params(); len(ps) != 2 || ps[0].Name != "revin_bias" || ps[1].Name != "revin_weight" {
		t.Fatalf("Params %v", ps)
	}
}

func TestGradCheck(t *testing.T) {
	loc := []float32{0.5, -1, 2}
	scale := []float32{2, 0.5, 1.5}
	rev, _ := New(RevIN, 2)
	rev.Weight.Data[0], rev.Weight.Data[1] = 0.8, 1.2
	rev.Bias.Data[0] = 0.3
	cases := []struct {
		name   string
		f      func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor
		inputs []*tensor.Tensor
	}{
		{"Scale", func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return Scale(tp, in[0], loc, scale) },
			[]*tensor.Tensor{param(1, 3, 4)}},
		{"Inverse", func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return Inverse(tp, in[0], loc, scale) },
			[]*tensor.Tensor{param(2, 3, 2, 2)}},
		{"RevIN", func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
			return rev.InverseTransform(tp, in[0], loc, scale)
		}, []*tensor.Tensor{param(3, 3, 5), rev.Weight, rev.Bias}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := tensor.GradCheck(c.f, c.inputs, tensor.GradCheckOptions{Eps: 1e-3}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func param(seed uint64, shape ...int) *tensor.Tensor {
	t := tensor.RandN(seed, shape...)
	t.SetRequiresGrad(true)
	return t
}

func TestParseKind(t *testing.T) {
	for i, n := range []string{"identity", "standard", "robust", "minmax", "minmax1", "revin"} {
		k, err := ParseKind(n)
		if err != nil || k != Kind(i) || k.String() != n {
			t.Errorf("ParseKind(%q) = %v, %v", n, k, err)
		}
	}
	if k, err := ParseKind(""); err != nil || k != Identity {
		t.Error("empty scaler type should be identity")
	}
	if _, err := ParseKind("invariant"); err == nil {
		t.Error("unsupported kind accepted")
	}
	if _, err := New(Standard, 0); err == nil {
		t.Error("0 channels accepted")
	}
}

func TestNoAllocs(t *testing.T) {
	const n, l = 32, 96
	x := tensor.RandN(1, n, l)
	mask := make([]float32, n*l)
	for i := range mask {
		if i%l < l-12 {
			mask[i] = 1
		}
	}
	loc, scale := make([]float32, n), make([]float32, n)
	for k := Identity; k <= RevIN; k++ {
		s, _ := New(k, 1)
		tp := tensor.NewInferenceTape()
		run := func() {
			tp.Reset()
			s.Fit(loc, scale, x.Data, mask, n, l)
			s.InverseTransform(tp, s.Transform(tp, x, loc, scale), loc, scale)
		}
		run()
		if a := testing.AllocsPerRun(10, run); a != 0 {
			t.Errorf("%v: %v allocations per call", k, a)
		}
	}
}

func BenchmarkFitRobust(b *testing.B) {
	const n, l = 256, 96
	x := tensor.RandN(1, n, l)
	loc, scale := make([]float32, n), make([]float32, n)
	s, _ := New(Robust, 1)
	for b.Loop() {
		s.Fit(loc, scale, x.Data, nil, n, l)
	}
}

func TestAnchorTensorsGradCheck(t *testing.T) {
	s, _ := New(RevIN, 2)
	s.Weight.Data[0], s.Weight.Data[1] = 0.8, 1.3
	s.Bias.Data[0] = 0.2
	loc := []float32{0.5, -1, 2}
	scale := []float32{2, 0.5, 1.5}
	err := tensor.GradCheck(func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
		l, sc := s.AnchorTensors(tp, loc, scale)
		// Combine both outputs into one so both paths are checked.
		return tensor.Add(tp, l, sc)
	}, []*tensor.Tensor{s.Weight, s.Bias}, tensor.GradCheckOptions{Eps: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := New(Standard, 1)
	l, sc := st.AnchorTensors(tensor.NewTape(), loc, scale)
	if l.RequiresGrad() || sc.RequiresGrad() || l.Data[1] != -1 || sc.Data[2] != 1.5 {
		t.Fatalf("standard anchors %v %v", l, sc)
	}
}

func BenchmarkFitStandard(b *testing.B) {
	const n, l = 256, 96
	x := tensor.RandN(1, n, l)
	loc, scale := make([]float32, n), make([]float32, n)
	s, _ := New(Standard, 1)
	for b.Loop() {
		s.Fit(loc, scale, x.Data, nil, n, l)
	}
}
