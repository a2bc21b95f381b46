package model_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/engine/model"
)

func TestForecasterAdapter(t *testing.T) {
	m := tinyMLP(t, 5)
	path := filepath.Join(t.TempDir(), "m.scm")
	if err := model.Save(path, m, nil); err != nil {
		t.Fatal(err)
	}
	f, err := forecast.New(model.ForecasterName, forecast.Options{Params: map[string]string{"model_file": path}})
	if err != nil {
		t.Fatal(err)
	}
	if f.Name() != "mlp" || f.InputSize() != 6 || len(f.Version()) != 8 {
		t.Fatalf("name %q input %d version %q", f.Name(), f.InputSize(), f.Version())
	}
	hist := [][]float64{{1, 2, 3, 4, 5, 6, 7}, {2, 3}}
	want := predictAll(t, m, hist) // h = 2
	dst := make([]float64, 4)
	if err := f.Forecast(dst, hist, 2); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("forecast %v, want %v", dst, want)
		}
	}
	one := make([]float64, 2)
	if err := f.Forecast(one, hist, 1); err != nil || one[0] != want[0] || one[1] != want[2] {
		t.Fatalf("h=1: %v %v, want %v %v", one, err, want[0], want[2])
	}
	if a := testing.AllocsPerRun(20, func() { _ = f.Forecast(dst, hist, 2) }); a != 0 {
		t.Fatalf("%v allocations per Forecast", a)
	}
	if err := f.Forecast(make([]float64, 6), hist, 3); !errors.Is(err, forecast.ErrBadHorizon) {
		t.Fatalf("h > H: %v", err)
	}
	if err := f.Forecast(make([]float64, 3), hist, 2); !errors.Is(err, forecast.ErrDstSize) {
		t.Fatalf("bad dst: %v", err)
	}
	if err := f.Forecast(make([]float64, 2), [][]float64{{}}, 2); !errors.Is(err, forecast.ErrEmptyHistory) {
		t.Fatalf("empty history: %v", err)
	}
	if _, err := forecast.New(model.ForecasterName, forecast.Options{}); err == nil {
		t.Fatal("no model_file: no error")
	}
}
