package nn

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/streamcast/streamcast/engine/tensor"
)

type nnGolden struct {
	Sizes     []int                `json:"sizes"`
	StateDict map[string][]float32 `json:"state_dict"`
	X         []float32            `json:"x"`
	Out       []float64            `json:"out"`
	R         []float32            `json:"r"`
	GradX     []float64            `json:"grad_x"`
	Grads     map[string][]float64 `json:"grads"`
	Init      struct {
		Linear struct {
			FanIn     int     `json:"fan_in"`
			WeightMax float64 `json:"weight_max"`
			WeightVar float64 `json:"weight_var"`
			BiasMax   float64 `json:"bias_max"`
		} `json:"linear"`
		Conv1d struct {
			Shape     []int   `json:"shape"`
			FanIn     int     `json:"fan_in"`
			WeightMax float64 `json:"weight_max"`
			WeightVar float64 `json:"weight_var"`
		} `json:"conv1d"`
	} `json:"init"`
}

func loadGolden(t *testing.T) *nnGolden {
	t.Helper()
	b, err := os.ReadFile("testdata/nn.json")
	if err != nil {
		t.Fatal(err)
	}
	var g nnGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

func near(got float32, want, tol float64) bool {
	return math.Abs(float64(got)-want) <= tol*math.Max(1, math.Abs(want))
}

func TestMLPAgainstTorch(t *testing.T) {
	g := loadGolden(t)
	m, err := NewMLP(g.Sizes, tensor.ReLU, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	ps := m.Params()
	if err := LoadStateDict(ps, g.StateDict, true); err != nil {
		t.Fatal(err)
	}
	x := tensor.FromSlice(g.X, 4, g.Sizes[0])
	x.SetRequiresGrad(true)
	tp := tensor.NewTape()
	out := m.Forward(tp, x)
	if out.Shape[0] != 4 || out.Shape[1] != g.Sizes[len(g.Sizes)-1] {
		t.Fatalf("output shape %v", out.Shape)
	}
	for i, v := range out.Data {
		if !near(v, g.Out[i], 1e-5) {
			t.Fatalf("out[%d] = %v, torch %v", i, v, g.Out[i])
		}
	}
	tp.BackwardWith(out, g.R)
	for i, v := range x.Grad {
		if !near(v, g.GradX[i], 1e-5) {
			t.Fatalf("grad x[%d] = %v, torch %v", i, v, g.GradX[i])
		}
	}
	for _, p := range ps {
		want := g.Grads[p.Name]
		if len(want) != len(p.T.Grad) {
			t.Fatalf("%s: %d grads, torch %d", p.Name, len(p.T.Grad), len(want))
		}
		for i, v := range p.T.Grad {
			if !near(v, want[i], 1e-5) {
				t.Fatalf("grad %s[%d] = %v, torch %v", p.Name, i, v, want[i])
			}
		}
	}
}

func TestMLPGradCheck(t *testing.T) {
	m, err := NewMLP([]int{4, 6, 2}, tensor.ReLU, rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.RandN(9, 3, 4)
	x.SetRequiresGrad(true)
	inputs := append([]*tensor.Tensor{x}, Tensors(m.Params())...)
	err = tensor.GradCheck(func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
		return m.Forward(tp, in[0])
	}, inputs, tensor.GradCheckOptions{Eps: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
}

// moments returns max |v| and the population variance around 0-mean data.
func moments(d []float32) (mx, v float64) {
	var s, ss float64
	for _, x := range d {
		mx = math.Max(mx, math.Abs(float64(x)))
		s += float64(x)
		ss += float64(x) * float64(x)
	}
	n := float64(len(d))
	return mx, ss/n - (s/n)*(s/n)
}

func TestDefaultInitMatchesTorchDistribution(t *testing.T) {
	g := loadGolden(t)
	rng := rand.New(rand.NewPCG(11, 12))
	l := NewLinear(g.Init.Linear.FanIn, 300, true, rng)
	bound := 1 / math.Sqrt(float64(g.Init.Linear.FanIn))
	mx, v := moments(l.Weight.Data)
	if mx > bound || mx < 0.99*bound {
		t.Errorf("Linear weight max %v, bound %v (torch max %v)", mx, bound, g.Init.Linear.WeightMax)
	}
	if math.Abs(v-g.Init.Linear.WeightVar) > 0.03*g.Init.Linear.WeightVar {
		t.Errorf("Linear weight var %v, torch %v", v, g.Init.Linear.WeightVar)
	}
	if bmx, _ := moments(l.Bias.Data); bmx > bound || bmx < 0.95*bound {
		t.Errorf("Linear bias max %v, bound %v (torch %v)", bmx, bound, g.Init.Linear.BiasMax)
	}

	conv := tensor.NewParam(g.Init.Conv1d.Shape...)
	if fi, fo := Fans(conv.Shape); fi != g.Init.Conv1d.FanIn || fo != 32*5 {
		t.Fatalf("Conv1d fans %d, %d", fi, fo)
	}
	InitLayerDefault(conv, nil, rng)
	cb := 1 / math.Sqrt(float64(g.Init.Conv1d.FanIn))
	mx, v = moments(conv.Data)
	if mx > cb || mx < 0.98*cb {
		t.Errorf("Conv1d weight max %v, bound %v (torch %v)", mx, cb, g.Init.Conv1d.WeightMax)
	}
	if math.Abs(v-g.Init.Conv1d.WeightVar) > 0.1*g.Init.Conv1d.WeightVar {
		t.Errorf("Conv1d weight var %v, torch %v", v, g.Init.Conv1d.WeightVar)
	}
}

func TestInitHelpers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	w := tensor.New(200, 100)
	InitXavierUniform(w, 1, rng)
	b := math.Sqrt(6.0 / 300)
	if mx, v := moments(w.Data); mx > b || math.Abs(v-b*b/3) > 0.05*b*b/3 {
		t.Errorf("xavier: max %v var %v, bound %v", mx, v, b)
	}
	InitNormal(w, 0, 2, rng)
	if _, v := moments(w.Data); math.Abs(v-4) > 0.2 {
		t.Errorf("normal var %v", v)
	}
	InitConstant(w, 0.5)
	if w.Data[0] != 0.5 || w.Data[len(w.Data)-1] != 0.5 {
		t.Error("constant init")
	}
}

func TestSeededInitIsDeterministic(t *testing.T) {
	a, _ := NewMLP([]int{3, 4, 2}, nil, rand.New(rand.NewPCG(7, 8)))
	b, _ := NewMLP([]int{3, 4, 2}, nil, rand.New(rand.NewPCG(7, 8)))
	c, _ := NewMLP([]int{3, 4, 2}, nil, rand.New(rand.NewPCG(7, 9)))
	sa, sb, sc := StateDict(a.Params()), StateDict(b.Params()), StateDict(c.Params())
	same := true
	for k, v := range sa {
		for i := range v {
			if v[i] != sb[k][i] {
				t.Fatalf("%s differs between identical seeds", k)
			}
			if v[i] != sc[k][i] {
				same = false
			}
		}
	}
	if same {
		t.Fatal("different seeds gave identical weights")
	}
}

func TestNames(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	m, _ := NewMLP([]int{2, 3, 1}, tensor.ReLU, rng)
	want := []string{"layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"}
	ps := m.Params()
	if len(ps) != len(want) {
		t.Fatalf("%d params", len(ps))
	}
	for i, p := range ps {
		if p.Name != want[i] {
			t.Fatalf("param %d named %q, want %q", i, p.Name, want[i])
		}
	}
	head := NewLinear(3, 2, false, rng)
	all := append(Prefixed("encoder", m), Prefixed("out", head)...)
	all = append(all, Collect("blocks", NewLinear(1, 1, true, rng), nil, NewLinear(1, 1, true, rng))...)
	names := []string{"encoder.layers.0.weight", "encoder.layers.0.bias", "encoder.layers.1.weight", "encoder.layers.1.bias",
		"out.weight", "blocks.0.weight", "blocks.0.bias", "blocks.2.weight", "blocks.2.bias"}
	for i, p := range all {
		if p.Name != names[i] {
			t.Fatalf("param %d named %q, want %q", i, p.Name, names[i])
		}
	}
	if err := Validate(all); err != nil {
		t.Fatal(err)
	}
	if Count(all) != 2*3+3+3*1+1+3*2+4 {
		t.Fatalf("Count = %d", Count(all))
	}
	if err := Validate(append(all, all[0])); err == nil {
		t.Fatal("duplicate name accepted")
	}
	if tt, ok := Find(all, "out.weight"); !ok || tt != head.Weight {
		t.Fatal("Find out.weight")
	}
}

func TestLoadStateDictErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	ps := NewLinear(2, 2, true, rng).Params()
	sd := StateDict(ps)
	before := append([]float32(nil), ps[0].T.Data...)
	bad := map[string][]float32{"weight": make([]float32, 4)}
	if err := LoadStateDict(ps, bad, false); err == nil {
		t.Error("missing bias accepted")
	}
	bad["bias"] = make([]float32, 3)
	if err := LoadStateDict(ps, bad, false); err == nil {
		t.Error("wrong bias size accepted")
	}
	if ps[0].T.Data[0] != before[0] {
		t.Error("failed load modified parameters")
	}
	sd["extra"] = []float32{1}
	if err := LoadStateDict(ps, sd, true); err == nil {
		t.Error("strict load accepted an unexpected key")
	}
	if err := LoadStateDict(ps, sd, false); err != nil {
		t.Errorf("non-strict load: %v", err)
	}
}

func TestMLPErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	if _, err := NewMLP([]int{3}, nil, rng); err == nil {
		t.Error("single size accepted")
	}
	if _, err := NewMLP([]int{3, 0, 1}, nil, rng); err == nil {
		t.Error("zero width accepted")
	}
}

func TestMLPInferenceNoAllocs(t *testing.T) {
	m, _ := NewMLP([]int{24, 64, 64, 12}, tensor.ReLU, rand.New(rand.NewPCG(1, 1)))
	x := tensor.RandN(1, 8, 24)
	tp := tensor.NewInferenceTape()
	run := func() { tp.Reset(); m.Forward(tp, x) }
	run()
	if n := testing.AllocsPerRun(50, run); n != 0 {
		t.Fatalf("MLP inference allocates %v times", n)
	}
}
