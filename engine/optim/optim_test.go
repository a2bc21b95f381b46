package optim

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/streamcast/streamcast/engine/tensor"
)

type goldenCase struct {
	After [][][]float64          `json:"after"`
	Slots map[string][][]float64 `json:"slots"`
	Norms []float64              `json:"norms"`
}

type golden struct {
	Shapes [][]int               `json:"shapes"`
	Init   [][]float32           `json:"init"`
	Grads  [][][]float32         `json:"grads"`
	Cases  map[string]goldenCase `json:"cases"`
	StepLR struct {
		MaxSteps    int       `json:"max_steps"`
		NumLRDecays int       `json:"num_lr_decays"`
		Base        float64   `json:"base"`
		LRs         []float64 `json:"lrs"`
	} `json:"steplr"`
}

func loadGolden(t *testing.T) *golden {
	t.Helper()
	b, err := os.ReadFile("testdata/optim.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

func (g *golden) params() []*tensor.Tensor {
	ps := make([]*tensor.Tensor, len(g.Shapes))
	for i, s := range g.Shapes {
		ps[i] = tensor.NewParam(s...)
		copy(ps[i].Data, g.Init[i])
	}
	return ps
}

func close(got float32, want float64, tol float64) bool {
	return math.Abs(float64(got)-want) <= tol*(1+math.Abs(want))
}

func TestAgainstTorch(t *testing.T) {
	g := loadGolden(t)
	makers := map[string]func([]*tensor.Tensor) (Optimizer, error){
		"adam": func(p []*tensor.Tensor) (Optimizer, error) {
			c := DefaultAdam()
			c.LR = 1e-2
			return NewAdam(p, c)
		},
		"adam_wd": func(p []*tensor.Tensor) (Optimizer, error) {
			return NewAdam(p, AdamConfig{LR: 3e-3, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1})
		},
		"adamw": func(p []*tensor.Tensor) (Optimizer, error) {
			c := DefaultAdamW()
			c.LR, c.WeightDecay = 1e-2, 0.05
			return NewAdamW(p, c)
		},
		"sgd": func(p []*tensor.Tensor) (Optimizer, error) { return NewSGD(p, SGDConfig{LR: 0.1}) },
		"sgd_momentum": func(p []*tensor.Tensor) (Optimizer, error) {
			return NewSGD(p, SGDConfig{LR: 0.05, Momentum: 0.9, WeightDecay: 0.01, Dampening: 0.1})
		},
		"sgd_nesterov": func(p []*tensor.Tensor) (Optimizer, error) {
			return NewSGD(p, SGDConfig{LR: 0.05, Momentum: 0.9, Nesterov: true})
		},
		"adam_clip": func(p []*tensor.Tensor) (Optimizer, error) {
			c := DefaultAdam()
			c.LR = 1e-2
			return NewAdam(p, c)
		},
	}
	slotNames := map[string][]string{
		"adam": {"exp_avg", "exp_avg_sq"}, "adam_wd": {"exp_avg", "exp_avg_sq"}, "adamw": {"exp_avg", "exp_avg_sq"},
		"adam_clip": {"exp_avg", "exp_avg_sq"}, "sgd": {"momentum_buffer"}, "sgd_momentum": {"momentum_buffer"},
		"sgd_nesterov": {"momentum_buffer"},
	}
	for name, want := range g.Cases {
		t.Run(name, func(t *testing.T) {
			mk, ok := makers[name]
			if !ok {
				t.Fatalf("no Go setup for golden case %q", name)
			}
			ps := g.params()
			opt, err := mk(ps)
			if err != nil {
				t.Fatal(err)
			}
			for step := range want.After {
				opt.ZeroGrad()
				for i, p := range ps {
					copy(p.Grad, g.Grads[step][i])
				}
				if len(want.Norms) > 0 {
					n := ClipGradNorm(ps, 1.0)
					if math.Abs(n-want.Norms[step]) > 1e-6*want.Norms[step] {
						t.Fatalf("step %d: norm %v, torch %v", step, n, want.Norms[step])
					}
				}
				opt.Step()
				for i, p := range ps {
					for j, v := range p.Data {
						if !close(v, want.After[step][i][j], 1e-6) {
							t.Fatalf("step %d param %d[%d] = %.9g, torch %.9g", step, i, j, v, want.After[step][i][j])
						}
					}
				}
			}
			st := opt.State()
			if st.Step != int64(len(want.After)) {
				t.Fatalf("state step %d", st.Step)
			}
			for k, sn := range slotNames[name] {
				for i, ref := range want.Slots[sn] {
					if ref == nil {
						if st.Slots[k][i] != nil {
							t.Fatalf("%s[%d] should be unset", sn, i)
						}
						continue
					}
					for j, v := range st.Slots[k][i] {
						if !close(v, ref[j], 1e-6) {
							t.Fatalf("%s[%d][%d] = %.9g, torch %.9g", sn, i, j, v, ref[j])
						}
					}
				}
			}
		})
	}
}

func TestStepLRAgainstTorch(t *testing.T) {
	g := loadGolden(t)
	p := []*tensor.Tensor{tensor.NewParam(1)}
	c := DefaultAdam()
	c.LR = g.StepLR.Base
	opt, err := NewAdam(p, c)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewNFStepLR(opt, g.StepLR.MaxSteps, g.StepLR.NumLRDecays)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range g.StepLR.LRs {
		opt.Step()
		s.Step()
		if math.Abs(opt.LR()-want) > 1e-15 {
			t.Fatalf("step %d: lr %g, torch %g", i+1, opt.LR(), want)
		}
	}
	if err := s.SetCount(3); err != nil || opt.LR() != g.StepLR.LRs[2] {
		t.Fatalf("SetCount(3): lr %g err %v", opt.LR(), err)
	}
}

func TestNFDecaySteps(t *testing.T) {
	for _, c := range []struct{ max, n, want int }{
		{1000, 3, 333}, {2, 3, 1}, {1000, -1, 100_000_000}, {5000, 1, 5000},
	} {
		if got := NFDecaySteps(c.max, c.n); got != c.want {
			t.Errorf("NFDecaySteps(%d,%d) = %d, want %d", c.max, c.n, got, c.want)
		}
	}
}

func TestClipGradNormNoClip(t *testing.T) {
	p := tensor.NewParam(2)
	copy(p.Grad, []float32{0.3, 0.4})
	if n := ClipGradNorm([]*tensor.Tensor{p}, 1); math.Abs(n-0.5) > 1e-7 {
		t.Fatalf("norm %v", n)
	}
	if p.Grad[0] != 0.3 || p.Grad[1] != 0.4 {
		t.Fatalf("gradients changed: %v", p.Grad)
	}
	ClipGradNorm([]*tensor.Tensor{p}, 0.25)
	if math.Abs(float64(p.Grad[0])-0.15) > 1e-6 || math.Abs(float64(p.Grad[1])-0.2) > 1e-6 {
		t.Fatalf("clipped gradients %v", p.Grad)
	}
}

func TestStateRoundTrip(t *testing.T) {
	g := loadGolden(t)
	for _, tc := range []struct {
		name string
		mk   func([]*tensor.Tensor) (Optimizer, error)
	}{
		{"adam", func(p []*tensor.Tensor) (Optimizer, error) { return NewAdam(p, DefaultAdam()) }},
		{"adamw", func(p []*tensor.Tensor) (Optimizer, error) { return NewAdamW(p, DefaultAdamW()) }},
		{"sgd", func(p []*tensor.Tensor) (Optimizer, error) {
			return NewSGD(p, SGDConfig{LR: 0.01, Momentum: 0.9})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Run 5 steps straight, and 2 steps + checkpoint (through JSON) + 3 steps
			// on a fresh optimiser: the parameters must agree bit for bit.
			run := func(ps []*tensor.Tensor, opt Optimizer, from, to int) {
				for s := from; s < to; s++ {
					for i, p := range ps {
						copy(p.Grad, g.Grads[s][i])
					}
					opt.Step()
				}
			}
			a := g.params()
			oa, _ := tc.mk(a)
			run(a, oa, 0, 5)
			b := g.params()
			ob, _ := tc.mk(b)
			run(b, ob, 0, 2)
			js, err := json.Marshal(ob.State())
			if err != nil {
				t.Fatal(err)
			}
			var st State
			if err := json.Unmarshal(js, &st); err != nil {
				t.Fatal(err)
			}
			oc, _ := tc.mk(b)
			if err := oc.SetState(st); err != nil {
				t.Fatal(err)
			}
			run(b, oc, 2, 5)
			for i := range a {
				for j := range a[i].Data {
					if a[i].Data[j] != b[i].Data[j] {
						t.Fatalf("param %d[%d]: %v vs %v after restore", i, j, a[i].Data[j], b[i].Data[j])
					}
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	p := []*tensor.Tensor{tensor.NewParam(3)}
	if _, err := NewAdam(nil, DefaultAdam()); err == nil {
		t.Error("no params accepted")
	}
	if _, err := NewAdam([]*tensor.Tensor{tensor.New(2)}, DefaultAdam()); err == nil {
		t.Error("non-trainable param accepted")
	}
	bad := DefaultAdam()
	bad.Beta2 = 1
	if _, err := NewAdam(p, bad); err == nil {
		t.Error("beta2=1 accepted")
	}
	if _, err := NewSGD(p, SGDConfig{LR: math.NaN()}); err == nil {
		t.Error("NaN lr accepted")
	}
	if _, err := NewSGD(p, SGDConfig{LR: 0.1, Nesterov: true}); err == nil {
		t.Error("nesterov without momentum accepted")
	}
	a, _ := NewAdam(p, DefaultAdam())
	if err := a.SetState(State{Kind: "sgd"}); !errors.Is(err, ErrState) {
		t.Errorf("wrong kind: %v", err)
	}
	if err := a.SetState(State{Kind: "adam", LR: 1e-3, Slots: [][][]float32{{{1, 2}}, {{1, 2}}}}); !errors.Is(err, ErrState) {
		t.Errorf("wrong size: %v", err)
	}
	if _, err := NewStepLR(a, 0, 0.5); err == nil {
		t.Error("step size 0 accepted")
	}
}

func TestStepNoAllocs(t *testing.T) {
	ps := []*tensor.Tensor{tensor.NewParam(64, 32), tensor.NewParam(64)}
	for _, p := range ps {
		for i := range p.Grad {
			p.Grad[i] = float32(i%7) - 3
		}
	}
	adam, _ := NewAdamW(ps, DefaultAdamW())
	sgd, _ := NewSGD(ps, SGDConfig{LR: 0.01, Momentum: 0.9, Nesterov: true})
	sched, _ := NewNFStepLR(adam, 100, 3)
	for name, f := range map[string]func(){
		"adamw": func() { adam.Step(); sched.Step() },
		"sgd":   sgd.Step,
		"clip":  func() { ClipGradNorm(ps, 1) },
	} {
		f()
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Errorf("%s allocates %v times per step", name, n)
		}
	}
}

func BenchmarkAdamStep(b *testing.B) {
	ps := []*tensor.Tensor{tensor.NewParam(512, 512), tensor.NewParam(512)}
	opt, _ := NewAdam(ps, DefaultAdam())
	b.SetBytes(int64(4 * (512*512 + 512)))
	for b.Loop() {
		opt.Step()
	}
}

func BenchmarkClipGradNorm(b *testing.B) {
	ps := []*tensor.Tensor{tensor.NewParam(1024, 1024), tensor.NewParam(1023)}
	for _, p := range ps {
		for i := range p.Grad {
			p.Grad[i] = float32(i%11) * 1e-3
		}
	}
	for b.Loop() {
		ClipGradNorm(ps, 1e9)
	}
}
