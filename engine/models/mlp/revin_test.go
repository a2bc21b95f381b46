package mlp_test

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/mlp"
	"github.com/streamcast/streamcast/engine/train"
)

func revinHyper(scalerType string) mlp.Hyper {
	h := mlp.DefaultHyper(24, 6)
	h.HiddenSize, h.ScalerType = 32, scalerType
	return h
}

// seasonal returns a seeded daily-seasonal series with a level shift, the
// kind of input where per-window normalisation matters.
func seasonal(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	y := make([]float64, n)
	for i := range y {
		y[i] = 50 + 0.05*float64(i) + 10*math.Sin(2*math.Pi*float64(i)/24) + rng.NormFloat64()
	}
	return y
}

// TestRevINParamsLikeNeuralForecast: with scaler_type revin the MLP holds
// TemporalNorm's affine parameters first in its state (scaler.revin_bias,
// scaler.revin_weight, init 0 and 1), counts them, trains with them (a point
// loss on the scaled values gives them no gradient, as in NeuralForecast,
// so they keep their values while the network learns), and predicts like
// the standard scaler up to RevIN's eps on the scale.
func TestRevINParamsLikeNeuralForecast(t *testing.T) {
	m, err := mlp.New(revinHyper("revin"))
	if err != nil {
		t.Fatal(err)
	}
	ps := m.Params()
	if ps[0].Name != "scaler.revin_bias" || ps[1].Name != "scaler.revin_weight" || ps[2].Name != "mlp.0.weight" {
		t.Fatalf("params start %s %s %s", ps[0].Name, ps[1].Name, ps[2].Name)
	}
	if ps[0].T.Data[0] != 0 || ps[1].T.Data[0] != 1 {
		t.Fatalf("init bias %v weight %v, want 0 and 1", ps[0].T.Data, ps[1].T.Data)
	}
	std, _ := mlp.New(revinHyper("standard"))
	if got, want := model.NumParams(m), model.NumParams(std)+2; got != want {
		t.Fatalf("%d params, want %d", got, want)
	}
	hm, _ := model.New(mlp.Kind, []byte(`{"input_size":24,"h":6,"hidden_size":32,"scaler_type":"revin"}`))
	if model.NumParams(hm) != model.NumParams(m) {
		t.Fatal("registry and New disagree on the parameter count")
	}

	series := [][]float64{seasonal(600, 1), seasonal(600, 2)}
	cfg := train.DefaultConfig()
	cfg.MaxSteps, cfg.WindowsBatchSize, cfg.Seed = 150, 64, 3
	tr, err := train.NewTrainer(m, series, cfg)
	if err != nil {
		t.Fatal(err)
	}
	first := tr.Step()
	var last float64
	for range 149 {
		last = tr.Step()
	}
	tr.Close()
	if !(last < first/2) {
		t.Fatalf("loss %v -> %v: not learning", first, last)
	}
	if ps[0].T.Data[0] != 0 || ps[1].T.Data[0] != 1 {
		t.Fatalf("RevIN affine moved under a point loss: bias %v weight %v", ps[0].T.Data, ps[1].T.Data)
	}

	// Same network weights under standard scaling: forecasts agree up to
	// the factor relu(w)+eps = 1+1e-6 on the scale.
	for i, p := range std.Params() {
		copy(p.T.Data, ps[i+2].T.Data)
	}
	hist := [][]float64{series[0][500:], series[1][:100]}
	a, b := make([]float64, 12), make([]float64, 12)
	if err := model.NewPredictor(m).Predict(a, hist); err != nil {
		t.Fatal(err)
	}
	if err := model.NewPredictor(std).Predict(b, hist); err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-4*math.Max(1, math.Abs(b[i])) {
			t.Fatalf("forecast %d: revin %v, standard %v", i, a[i], b[i])
		}
	}
}

// TestRevINAffineUsedAndSaved: the affine parameters enter the inverse
// transform (y = z·scale·(relu(w)+eps) + loc + b) and survive a save/load
// round trip with bit-identical forecasts.
func TestRevINAffineUsedAndSaved(t *testing.T) {
	m, _ := mlp.New(revinHyper("revin"))
	hist := [][]float64{seasonal(100, 4)}
	base := make([]float64, 6)
	if err := model.NewPredictor(m).Predict(base, hist); err != nil {
		t.Fatal(err)
	}
	var loc float64 // the window mean (standard statistics)
	for _, v := range hist[0][100-24:] {
		loc += float64(float32(v))
	}
	loc /= 24
	const w, b = 2.5, -3.0
	m.RevIN().Weight.Data[0], m.RevIN().Bias.Data[0] = w, b
	got := make([]float64, 6)
	if err := model.NewPredictor(m).Predict(got, hist); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		want := (base[i]-loc)*(w+1e-6)/(1+1e-6) + loc + b
		if math.Abs(got[i]-want) > 1e-3*math.Max(1, math.Abs(want)) {
			t.Fatalf("step %d: %v, want %v", i, got[i], want)
		}
	}
	path := filepath.Join(t.TempDir(), "revin.scm")
	if err := model.Save(path, m, nil); err != nil {
		t.Fatal(err)
	}
	for _, load := range []func(string) (*model.Loaded, error){model.Load, model.LoadForInference} {
		l, err := load(path)
		if err != nil {
			t.Fatal(err)
		}
		again := make([]float64, 6)
		if err := model.NewPredictor(l.Model).Predict(again, hist); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(again[i]) {
				t.Fatalf("after load, step %d: %v, want %v", i, again[i], got[i])
			}
		}
	}
}
