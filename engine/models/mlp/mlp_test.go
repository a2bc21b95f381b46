package mlp_test

import (
	"testing"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/mlp"
	"github.com/streamcast/streamcast/engine/tensor"
)

func TestDefaultsMatchNeuralForecast(t *testing.T) {
	m, err := model.New(mlp.Kind, []byte(`{"input_size":168,"h":24}`))
	if err != nil {
		t.Fatal(err)
	}
	// same count as the PyTorch peer's MLP (torch-results.md)
	if n := model.NumParams(m); n != 1_247_256 {
		t.Fatalf("%d parameters, want 1,247,256", n)
	}
	var names []string
	for _, p := range m.Params() {
		names = append(names, p.Name)
	}
	want := []string{"mlp.0.weight", "mlp.0.bias", "mlp.1.weight", "mlp.1.bias", "out.weight", "out.bias"}
	if len(names) != len(want) {
		t.Fatalf("params %v", names)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("params %v, want %v", names, want)
		}
	}
	// PyTorch init: |w| <= 1/sqrt(fan_in)
	for _, v := range m.Params()[0].T.Data {
		if v > 1/12.96 || v < -1/12.96 {
			t.Fatalf("weight %v outside U(±1/√168)", v)
		}
	}
}

func TestHyperErrors(t *testing.T) {
	cases := []string{
		`{"h":24}`,
		`{"input_size":168}`,
		`{"input_size":168,"h":24,"num_layers":0}`,
		`{"input_size":168,"h":24,"hidden_size":-1}`,
		`{"input_size":168,"h":24,"hidden_size":65536,"num_layers":64}`,
		`{"input_size":168,"h":24,"bogus":1}`,
		`{"input_size":168,"h":24,"scaler_type":"nope"}`,
		`{"input_size":168,"h":24} trailing`,
		`[`,
	}
	for _, c := range cases {
		if _, err := model.New(mlp.Kind, []byte(c)); err == nil {
			t.Errorf("%s: no error", c)
		}
	}
}

func TestGradients(t *testing.T) {
	h := mlp.DefaultHyper(5, 3)
	h.HiddenSize, h.NumLayers = 4, 2
	m, err := mlp.New(h)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.RandN(5, 2, 5)
	x.SetRequiresGrad(true)
	in := []*tensor.Tensor{x}
	for _, p := range m.Params() {
		in = append(in, p.T)
	}
	f := func(tp *tensor.Tape, _ []*tensor.Tensor) *tensor.Tensor { return m.Forward(tp, x) }
	if err := tensor.GradCheck(f, in, tensor.GradCheckOptions{Eps: 1e-3}); err != nil {
		t.Fatal(err)
	}
}

func TestSeededInit(t *testing.T) {
	a, _ := mlp.New(mlp.DefaultHyper(8, 2))
	b, _ := mlp.New(mlp.DefaultHyper(8, 2))
	h := mlp.DefaultHyper(8, 2)
	h.Seed = 2
	c, _ := mlp.New(h)
	wa, wb, wc := a.Params()[0].T.Data, b.Params()[0].T.Data, c.Params()[0].T.Data
	for i := range wa {
		if wa[i] != wb[i] {
			t.Fatal("same seed, different init")
		}
	}
	same := true
	for i := range wa {
		same = same && wa[i] == wc[i]
	}
	if same {
		t.Fatal("different seeds, same init")
	}
}
