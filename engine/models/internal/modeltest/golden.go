package modeltest

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/tensor"
)

type goldenTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func (g goldenTensor) tensor() *tensor.Tensor {
	t := tensor.New(g.Shape...)
	for i, v := range g.Data {
		t.Data[i] = float32(v)
	}
	return t
}

type goldenFile struct {
	DefaultParams int             `json:"default_params_96_48"`
	CountsHyper   json.RawMessage `json:"counts_hyper"`
	Cases         []struct {
		Name    string                  `json:"name"`
		Kind    string                  `json:"kind"`
		Hyper   json.RawMessage         `json:"hyper"`
		Outputs int                     `json:"outputs"`
		State   map[string]goldenTensor `json:"state"`
		Inputs  map[string]goldenTensor `json:"inputs"`
		Out     goldenTensor            `json:"out"`
	} `json:"cases"`
}

// GoldenFile checks kind against the PyTorch reference file written by
// engine/models/testdata/gen_golden.py: the trainable parameter count of
// the default architecture at input_size 96, h 48, and for every case the
// parameter names and shapes (the reference's named_parameters, exactly)
// and the forward output given the reference's weights and inputs.
func GoldenFile(t *testing.T, path, kind string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	hyper := []byte(`{"input_size":96,"h":48}`)
	if len(g.CountsHyper) > 0 && string(g.CountsHyper) != "null" {
		hyper = g.CountsHyper
	}
	m, err := model.New(kind, hyper)
	if err != nil {
		t.Fatal(err)
	}
	if n := model.NumParams(m); n != g.DefaultParams {
		t.Errorf("%s %s: %d trainable parameters, PyTorch %d", kind, hyper, n, g.DefaultParams)
	}
	if len(g.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range g.Cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.Kind != kind {
				t.Fatalf("case of kind %s", c.Kind)
			}
			m, err := model.New(kind, c.Hyper)
			if err != nil {
				t.Fatal(err)
			}
			if k := m.Common().Outputs(); k != c.Outputs {
				t.Fatalf("%d output channels, reference %d", k, c.Outputs)
			}
			ps := m.Params()
			if len(ps) != len(c.State) {
				t.Errorf("%d parameters, reference %d", len(ps), len(c.State))
			}
			for _, p := range ps {
				ref, ok := c.State[p.Name]
				if !ok {
					t.Fatalf("parameter %s not in the reference", p.Name)
				}
				if fmt.Sprint(ref.Shape) != fmt.Sprint(p.T.Shape) {
					t.Fatalf("%s: shape %v, reference %v", p.Name, p.T.Shape, ref.Shape)
				}
				for i, v := range ref.Data {
					p.T.Data[i] = float32(v)
				}
			}
			in := model.Inputs{Y: c.Inputs["y"].tensor()}
			if v, ok := c.Inputs["futr"]; ok {
				in.Futr = v.tensor()
			}
			if v, ok := c.Inputs["hist"]; ok {
				in.Hist = v.tensor()
			}
			if v, ok := c.Inputs["stat"]; ok {
				in.Stat = v.tensor()
			}
			out := model.Run(tensor.NewInferenceTape(), m, in)
			if fmt.Sprint(out.Shape) != fmt.Sprint(c.Out.Shape) {
				t.Fatalf("output shape %v, reference %v", out.Shape, c.Out.Shape)
			}
			for i, want := range c.Out.Data {
				if got := float64(out.Data[i]); math.Abs(got-want) > 1e-5+1e-4*math.Abs(want) {
					t.Fatalf("output %d: %v, PyTorch %v", i, got, want)
				}
			}
		})
	}
}
