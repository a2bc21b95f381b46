package tensor

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenCase is one PyTorch reference case written by testdata/gen_golden.py.
type goldenCase struct {
	Name   string `json:"name"`
	Inputs []struct {
		Shape []int     `json:"shape"`
		Data  []float32 `json:"data"`
	} `json:"inputs"`
	Params map[string]json.RawMessage `json:"params"`
	Out    struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	} `json:"out"`
	Gout  []float32            `json:"gout"`
	Grads [][]float64          `json:"grads"`
	Extra map[string][]float64 `json:"extra"`
}

func (c *goldenCase) float(t *testing.T, key string) float32 {
	t.Helper()
	var v float64
	c.param(t, key, &v)
	return float32(v)
}

func (c *goldenCase) int(t *testing.T, key string) int {
	t.Helper()
	var v int
	c.param(t, key, &v)
	return v
}

func (c *goldenCase) ints(t *testing.T, key string) []int {
	t.Helper()
	var v []int
	c.param(t, key, &v)
	return v
}

func (c *goldenCase) bool(t *testing.T, key string) bool {
	t.Helper()
	var v bool
	c.param(t, key, &v)
	return v
}

func (c *goldenCase) param(t *testing.T, key string, v any) {
	t.Helper()
	raw, ok := c.Params[key]
	if !ok {
		t.Fatalf("case %s: missing param %q", c.Name, key)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("case %s: param %q: %v", c.Name, key, err)
	}
}

// goldenBuilder builds the op under test for a case from its inputs.
type goldenBuilder func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor

func loadGolden(t *testing.T, group string) []goldenCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ops_"+group+".json"))
	if err != nil {
		t.Fatalf("golden file: %v", err)
	}
	var f struct {
		Cases []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("golden file %s: %v", group, err)
	}
	if len(f.Cases) == 0 {
		t.Fatalf("golden file %s has no cases", group)
	}
	return f.Cases
}

// runGolden runs every case of a group through the builder registered for
// the case-name prefix (the text before the first '_', or a full name) and
// compares output and gradients with PyTorch.
func runGolden(t *testing.T, group string, builders map[string]goldenBuilder) {
	for _, c := range loadGolden(t, group) {
		t.Run(c.Name, func(t *testing.T) {
			build, ok := builders[c.Name]
			if !ok {
				build, ok = builders[strings.SplitN(c.Name, "_", 2)[0]]
			}
			if !ok {
				t.Fatalf("no builder for case %s", c.Name)
			}
			in := make([]*Tensor, len(c.Inputs))
			for i, x := range c.Inputs {
				in[i] = FromSlice(append([]float32(nil), x.Data...), x.Shape...)
				if c.Grads != nil && c.Grads[i] != nil {
					in[i].SetRequiresGrad(true)
				}
			}
			tp := NewTape()
			out := build(t, &c, tp, in)
			if !equalInts(out.Shape, c.Out.Shape) {
				t.Fatalf("shape %v, want %v", out.Shape, c.Out.Shape)
			}
			compareGolden(t, "output", out.Data, c.Out.Data, 0)
			if c.Grads == nil {
				return
			}
			if !out.RequiresGrad() {
				t.Fatalf("output does not require grad")
			}
			tp.BackwardWith(out, c.Gout)
			gscale := 0.0
			for _, v := range c.Gout {
				gscale = max(gscale, math.Abs(float64(v)))
			}
			for i, g := range c.Grads {
				if g != nil {
					compareGolden(t, "grad "+string(rune('0'+i)), in[i].Grad, g, gscale)
				}
			}
		})
	}
}

// compareGolden checks got against a float64 reference to 1e-5 relative,
// with an absolute floor of 1e-6 times the larger of the reference's largest
// magnitude and scale (float32 rounding of results that cancel to near zero;
// for gradients scale is the upstream gradient's magnitude).
func compareGolden(t *testing.T, what string, got []float32, want []float64, scale float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for _, w := range want {
		if !math.IsInf(w, 0) && !math.IsNaN(w) {
			scale = max(scale, math.Abs(w))
		}
	}
	for i, w := range want {
		g := float64(got[i])
		if math.IsNaN(w) || math.IsInf(w, 0) {
			if !(math.IsNaN(w) && math.IsNaN(g)) && g != w {
				t.Fatalf("%s[%d] = %g, want %g", what, i, g, w)
			}
			continue
		}
		if math.Abs(g-w) > 1e-5*math.Abs(w)+1e-6*scale {
			t.Fatalf("%s[%d] = %.9g, want %.9g (rel %.3g)", what, i, g, w, math.Abs(g-w)/math.Abs(w))
		}
	}
}

func TestGoldenElementwise(t *testing.T) {
	bin := func(f func(*Tape, *Tensor, *Tensor) *Tensor) goldenBuilder {
		return func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor { return f(tp, in[0], in[1]) }
	}
	runGolden(t, "elementwise", map[string]goldenBuilder{
		"add": bin(Add), "sub": bin(Sub), "mul": bin(Mul), "div": bin(Div),
		"addscalar": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return AddScalar(tp, in[0], c.float(t, "c"))
		},
		"mulscalar": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return MulScalar(tp, in[0], c.float(t, "c"))
		},
		"neg": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor { return Neg(tp, in[0]) },
		"broadcastto": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return BroadcastTo(tp, in[0], c.ints(t, "shape")...)
		},
	})
}

func TestGoldenUnary(t *testing.T) {
	un := func(f func(*Tape, *Tensor) *Tensor) goldenBuilder {
		return func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor { return f(tp, in[0]) }
	}
	runGolden(t, "unary", map[string]goldenBuilder{
		"relu": un(ReLU), "exp": un(Exp), "log": un(Log), "sqrt": un(Sqrt), "abs": un(Abs),
		"tanh": un(Tanh), "sigmoid": un(Sigmoid), "gelu": un(GELU), "gelu_tanh": un(GELUTanh),
		"pow": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return Pow(tp, in[0], c.float(t, "p"))
		},
		"elu": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return ELU(tp, in[0], c.float(t, "alpha"))
		},
		"softplus": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return Softplus(tp, in[0], c.float(t, "beta"), c.float(t, "threshold"))
		},
	})
}

func TestGoldenReduce(t *testing.T) {
	axisOp := func(f func(*Tape, *Tensor, int, bool) *Tensor) goldenBuilder {
		return func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return f(tp, in[0], c.int(t, "axis"), c.bool(t, "keepdim"))
		}
	}
	soft := func(f func(*Tape, *Tensor, int) *Tensor) goldenBuilder {
		return func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return f(tp, in[0], c.int(t, "axis"))
		}
	}
	runGolden(t, "reduce", map[string]goldenBuilder{
		"sum": axisOp(Sum), "mean": axisOp(Mean), "max": axisOp(Max),
		"sumall":  func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor { return SumAll(tp, in[0]) },
		"meanall": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor { return MeanAll(tp, in[0]) },
		"softmax": soft(Softmax), "logsoftmax": soft(LogSoftmax),
	})
}

func TestGoldenNorm(t *testing.T) {
	bn := func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
		var rm, rv []float32
		c.param(t, "running_mean", &rm)
		c.param(t, "running_var", &rv)
		st := NewBatchNormState(len(rm))
		copy(st.RunningMean, rm)
		copy(st.RunningVar, rv)
		out := BatchNorm1d(tp, in[0], in[1], in[2], st, c.bool(t, "train"))
		compareGolden(t, "running_mean", st.RunningMean, c.Extra["running_mean"], 0)
		compareGolden(t, "running_var", st.RunningVar, c.Extra["running_var"], 0)
		return out
	}
	runGolden(t, "norm", map[string]goldenBuilder{
		"layernorm": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			if len(in) == 1 {
				return LayerNorm(tp, in[0], c.int(t, "ndims"), nil, nil, LayerNormEps)
			}
			return LayerNorm(tp, in[0], c.int(t, "ndims"), in[1], in[2], LayerNormEps)
		},
		"batchnorm": bn,
	})
}

func TestGoldenShape(t *testing.T) {
	runGolden(t, "shape", map[string]goldenBuilder{
		"reshape": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return Reshape(tp, in[0], c.ints(t, "shape")...)
		},
		"transpose": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return Transpose(tp, in[0], c.int(t, "a0"), c.int(t, "a1"))
		},
		"permute": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return Permute(tp, in[0], c.ints(t, "perm")...)
		},
		"concat": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return Concat(tp, c.int(t, "axis"), in...)
		},
		"slice": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return Slice(tp, in[0], c.int(t, "axis"), c.int(t, "start"), c.int(t, "end"), c.int(t, "step"))
		},
	})
}

func TestGoldenGather(t *testing.T) {
	runGolden(t, "gather", map[string]goldenBuilder{
		"indexselect": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return IndexSelect(tp, in[0], c.int(t, "axis"), c.ints(t, "index"))
		},
		"gather": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return Gather(tp, in[0], c.int(t, "axis"), c.ints(t, "index"), c.ints(t, "index_shape"))
		},
		"embedding": func(t *testing.T, c *goldenCase, tp *Tape, in []*Tensor) *Tensor {
			return Embedding(tp, in[0], c.ints(t, "index"), c.ints(t, "index_shape")...)
		},
	})
}
