package model_test

import (
	"errors"
	"testing"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/mlp"
	"github.com/streamcast/streamcast/engine/tensor"
)

// TestPredictNoAllocs: the no-grad predict path of the default MLP
// allocates nothing per call after warm-up.
func TestPredictNoAllocs(t *testing.T) {
	m, err := mlp.New(mlp.DefaultHyper(168, 24))
	if err != nil {
		t.Fatal(err)
	}
	p := model.NewPredictor(m)
	hist := [][]float64{make([]float64, 300)}
	dst := make([]float64, 24)
	if err := p.Predict(dst, hist); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(50, func() { _ = p.Predict(dst, hist) }); a != 0 {
		t.Fatalf("%v allocations per single-series predict", a)
	}
	hist100 := make([][]float64, 100)
	for i := range hist100 {
		hist100[i] = make([]float64, 168)
	}
	dst100 := make([]float64, 100*24)
	_ = p.Predict(dst100, hist100)
	// Batches go through BLAS GEMM; gonum's pure-Go Sgemm starts worker
	// goroutines for large products (its allocations, not ours), so this is
	// reported, not asserted.
	t.Logf("%v allocations per 100-series predict (BLAS %s)", testing.AllocsPerRun(10, func() { _ = p.Predict(dst100, hist100) }), tensor.Backend)
}

func TestPredictMatchesForward(t *testing.T) {
	m := tinyMLP(t, 3)
	hist := [][]float64{{1, 2, 3, 4, 5, 6, 7, 8}, {3, 4}}
	got := predictAll(t, m, hist)
	// reference: explicit windows (last 6 values; zero front padding)
	x := tensor.FromSlice([]float32{3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 3, 4}, 2, 6)
	want := m.Forward(tensor.NewInferenceTape(), x)
	for i := range got {
		if float32(got[i]) != want.Data[i] {
			t.Fatalf("forecast %d: %v, want %v", i, got[i], want.Data[i])
		}
	}
	dst := make([]float32, 4)
	if err := model.NewPredictor(m).PredictWindows(dst, x.Data, 2); err != nil {
		t.Fatal(err)
	}
	for i := range dst {
		if dst[i] != want.Data[i] {
			t.Fatalf("PredictWindows %d: %v, want %v", i, dst[i], want.Data[i])
		}
	}
}

func TestPredictErrors(t *testing.T) {
	p := model.NewPredictor(tinyMLP(t, 1))
	if err := p.Predict(make([]float64, 3), [][]float64{{1}}); err == nil {
		t.Fatal("wrong dst size: no error")
	}
	if err := p.Predict(make([]float64, 2), [][]float64{{}}); !errors.Is(err, model.ErrEmptyHistory) {
		t.Fatalf("empty history: %v", err)
	}
	if err := p.PredictWindows(make([]float32, 2), make([]float32, 5), 1); err == nil {
		t.Fatal("wrong window size: no error")
	}
}
