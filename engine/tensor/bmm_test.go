package tensor

import (
	"encoding/json"
	"math"
	"os"
	"sort"
	"sync"
	"testing"
)

// The E2 goldens (testdata/e2_golden.json) come from PyTorch 1.13 through
// testdata/e2_gen_golden.py: inputs, outputs, seeds for the scalar loss
// Σ_k Σ out_k·seed_k, and that loss's gradients with respect to the inputs,
// all computed in float64.

type e2Tensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

type e2Case struct {
	Name    string              `json:"name"`
	Op      string              `json:"op"`
	Params  map[string]any      `json:"params"`
	Inputs  map[string]e2Tensor `json:"inputs"`
	Outputs map[string]e2Tensor `json:"outputs"`
	Seeds   map[string]e2Tensor `json:"seeds"`
	Grads   map[string]e2Tensor `json:"grads"`
}

func (c e2Case) int(key string) int {
	v, ok := c.Params[key].(float64)
	if !ok {
		return 0
	}
	return int(v)
}

func (c e2Case) bool(key string) bool {
	v, _ := c.Params[key].(bool)
	return v
}

func (c e2Case) float(key string) float64 {
	v, _ := c.Params[key].(float64)
	return v
}

var e2Golden struct {
	once  sync.Once
	cases []e2Case
	err   error
}

func loadE2Golden(t *testing.T) []e2Case {
	t.Helper()
	e2Golden.once.Do(func() {
		b, err := os.ReadFile("testdata/e2_golden.json")
		if err != nil {
			e2Golden.err = err
			return
		}
		var f struct {
			Cases []e2Case `json:"cases"`
		}
		e2Golden.err = json.Unmarshal(b, &f)
		e2Golden.cases = f.Cases
	})
	if e2Golden.err != nil {
		t.Fatalf("load goldens: %v", e2Golden.err)
	}
	return e2Golden.cases
}

func e2ToTensor(g e2Tensor) *Tensor {
	d := make([]float32, len(g.Data))
	for i, v := range g.Data {
		d[i] = float32(v)
	}
	return FromSlice(d, g.Shape...)
}

// runE2Golden runs every golden case of op through f, which maps the input
// tensors to the named outputs, and compares outputs and input gradients.
func runE2Golden(t *testing.T, op string, f func(tp *Tape, c e2Case, in map[string]*Tensor) map[string]*Tensor) {
	t.Helper()
	n := 0
	for _, c := range loadE2Golden(t) {
		if c.Op != op {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			in := map[string]*Tensor{}
			for k, v := range c.Inputs {
				in[k] = e2ToTensor(v)
				if _, ok := c.Grads[k]; ok {
					in[k].SetRequiresGrad(true)
				}
			}
			tp := NewTape()
			outs := f(tp, c, in)
			names := make([]string, 0, len(c.Outputs))
			for k := range c.Outputs {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				got, ok := outs[k]
				if !ok {
					t.Fatalf("output %q missing", k)
				}
				e2Compare(t, "output "+k, got.Shape, got.Data, c.Outputs[k])
			}
			for _, k := range names[1:] {
				copy(outs[k].Grad, e2ToTensor(c.Seeds[k]).Data)
			}
			tp.BackwardWith(outs[names[0]], e2ToTensor(c.Seeds[names[0]]).Data)
			for k, want := range c.Grads {
				e2Compare(t, "grad "+k, in[k].Shape, in[k].Grad, want)
			}
		})
	}
	if n == 0 {
		t.Fatalf("no golden cases for op %q", op)
	}
}

func e2Compare(t *testing.T, what string, shape []int, got []float32, want e2Tensor) {
	t.Helper()
	if len(shape) != len(want.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, shape, want.Shape)
	}
	for i := range shape {
		if shape[i] != want.Shape[i] {
			t.Fatalf("%s: shape %v, want %v", what, shape, want.Shape)
		}
	}
	for i, w := range want.Data {
		g := float64(got[i])
		if w <= -1e38 {
			if !math.IsInf(g, -1) {
				t.Fatalf("%s[%d] = %g, want -Inf", what, i, g)
			}
			continue
		}
		if math.IsNaN(g) || math.Abs(g-w) > 1e-5*math.Max(1, math.Abs(w)) {
			t.Fatalf("%s[%d] = %.8g, want %.8g", what, i, g, w)
		}
	}
}

func TestBMMGolden(t *testing.T) {
	runE2Golden(t, "bmm", func(tp *Tape, c e2Case, in map[string]*Tensor) map[string]*Tensor {
		return map[string]*Tensor{"out": BMM(tp, in["a"], in["b"], c.bool("transA"), c.bool("transB"))}
	})
}

func TestBMMGradCheck(t *testing.T) {
	for _, tc := range []struct {
		ta, tb bool
	}{{false, false}, {true, false}, {false, true}, {true, true}} {
		a := param(21, 2, 3, 4)
		b := param(22, 2, 4, 5)
		if tc.ta {
			a = param(21, 2, 4, 3)
		}
		if tc.tb {
			b = param(22, 2, 5, 4)
		}
		err := GradCheck(func(tp *Tape, in []*Tensor) *Tensor { return BMM(tp, in[0], in[1], tc.ta, tc.tb) },
			[]*Tensor{a, b}, GradCheckOptions{})
		if err != nil {
			t.Fatalf("transA=%v transB=%v: %v", tc.ta, tc.tb, err)
		}
	}
}

func TestBMMShapePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"rank2":    func() { BMM(NewInferenceTape(), New(2, 3), New(3, 2), false, false) },
		"batch":    func() { BMM(NewInferenceTape(), New(2, 2, 3), New(3, 3, 2), false, false) },
		"inner":    func() { BMM(NewInferenceTape(), New(2, 2, 3), New(2, 4, 2), false, false) },
		"rankdiff": func() { BMM(NewInferenceTape(), New(1, 2, 2, 3), New(2, 3, 2), false, false) },
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
