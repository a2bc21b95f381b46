package forecast

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestForecastTable(t *testing.T) {
	tests := []struct {
		name      string
		model     Forecaster
		histories [][]float64
		h         int
		want      []float64
	}{
		{"naive one series", Naive{}, [][]float64{{1, 2, 3}}, 2, []float64{3, 3}},
		{"naive two series", Naive{}, [][]float64{{5}, {1, 9}}, 3, []float64{5, 5, 5, 9, 9, 9}},
		{"snaive exact season", SeasonalNaive{Season: 3}, [][]float64{{1, 2, 3}}, 3, []float64{1, 2, 3}},
		{"snaive wraps past season", SeasonalNaive{Season: 3}, [][]float64{{0, 0, 7, 8, 9}}, 7, []float64{7, 8, 9, 7, 8, 9, 7}},
		{"snaive short history falls back to naive", SeasonalNaive{Season: 4}, [][]float64{{1, 2}}, 3, []float64{2, 2, 2}},
		{"snaive mixed batch", SeasonalNaive{Season: 2}, [][]float64{{1}, {1, 2, 3, 4}}, 3, []float64{1, 1, 1, 3, 4, 3}},
		{"snaive season 1 equals naive", SeasonalNaive{Season: 1}, [][]float64{{1, 2, 6}}, 2, []float64{6, 6}},
		{"empty batch", Naive{}, nil, 4, []float64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]float64, len(tc.histories)*tc.h)
			if err := tc.model.Forecast(dst, tc.histories, tc.h); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(dst, tc.want) {
				t.Fatalf("got %v, want %v", dst, tc.want)
			}
		})
	}
}

func TestForecastErrors(t *testing.T) {
	tests := []struct {
		name      string
		model     Forecaster
		dst       []float64
		histories [][]float64
		h         int
		want      error
	}{
		{"zero horizon", Naive{}, nil, [][]float64{{1}}, 0, ErrBadHorizon},
		{"dst too short", Naive{}, make([]float64, 1), [][]float64{{1}}, 2, ErrDstSize},
		{"dst too long", SeasonalNaive{Season: 2}, make([]float64, 5), [][]float64{{1}, {2}}, 2, ErrDstSize},
		{"empty history", SeasonalNaive{Season: 2}, make([]float64, 4), [][]float64{{1}, {}}, 2, ErrEmptyHistory},
		{"naive empty history", Naive{}, make([]float64, 1), [][]float64{nil}, 1, ErrEmptyHistory},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.model.Forecast(tc.dst, tc.histories, tc.h)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if err := (SeasonalNaive{}).Forecast(make([]float64, 1), [][]float64{{1}}, 1); err == nil {
		t.Fatal("zero season accepted")
	}
}

func TestRegistry(t *testing.T) {
	tests := []struct {
		name, model string
		opts        Options
		wantName    string
		wantVersion string
		wantInput   int
		wantErr     bool
	}{
		{"naive", "naive", Options{}, "naive", "1", 1, false},
		{"snaive default season", "snaive", Options{}, "snaive", "1-m24", 24, false},
		{"seasonal_naive alias", "seasonal_naive", Options{Season: 168}, "snaive", "1-m168", 168, false},
		{"negative season", "snaive", Options{Season: -1}, "", "", 0, true},
		{"unknown", "prophet", Options{}, "", "", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := New(tc.model, tc.opts)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("expected error, got %v", f)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Name() != tc.wantName || f.Version() != tc.wantVersion || f.InputSize() != tc.wantInput {
				t.Fatalf("got %s %s %d", f.Name(), f.Version(), f.InputSize())
			}
		})
	}
	if _, err := New("nope", Options{}); !errors.Is(err, ErrUnknownModel) {
		t.Fatalf("unknown model error = %v", err)
	}
	if err := Register("naive", func(Options) (Forecaster, error) { return Naive{}, nil }); err == nil {
		t.Fatal("duplicate registration accepted")
	}
	if err := Register("test-const", func(Options) (Forecaster, error) { return Naive{}, nil }); err != nil {
		t.Fatal(err)
	}
	if f, err := New("test-const", Options{}); err != nil || f.Name() != "naive" {
		t.Fatalf("registered factory: %v %v", f, err)
	}
	if !slices.Contains(Names(), "test-const") {
		t.Fatalf("Names() = %v", Names())
	}
}

func TestForecastDoesNotAllocate(t *testing.T) {
	histories := make([][]float64, 64)
	for i := range histories {
		histories[i] = make([]float64, 10+i*3) // some shorter than the season
		for j := range histories[i] {
			histories[i][j] = float64(i*1000 + j)
		}
	}
	const h = 48
	dst := make([]float64, len(histories)*h)
	for _, m := range []Forecaster{Naive{}, SeasonalNaive{Season: 24}} {
		allocs := testing.AllocsPerRun(100, func() {
			if err := m.Forecast(dst, histories, h); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocs per Forecast, want 0", m.Name(), allocs)
		}
	}
}

func TestSMAPEAndMASE(t *testing.T) {
	tests := []struct {
		name              string
		in, y, f          []float64
		m                 int
		wantSMAPE, wantMS float64
	}{
		// |y-f| = 1,1 ; |y|+|f| = 3, 5 → 200*(1/3+1/5)/2
		{"simple", []float64{1, 2, 3, 4}, []float64{1, 2}, []float64{2, 3}, 1, 100 * (1.0/3 + 1.0/5), 1},
		{"seasonal scale", []float64{1, 5, 3, 9}, []float64{2}, []float64{4}, 2, 200 * 2.0 / 6, 2.0 / 3},
		{"perfect incl. zeros", []float64{0, 1, 0, 2}, []float64{0, 3}, []float64{0, 3}, 1, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := SMAPE(tc.y, tc.f)
			if err != nil || math.Abs(s-tc.wantSMAPE) > 1e-12 {
				t.Fatalf("sMAPE = %v, %v; want %v", s, err, tc.wantSMAPE)
			}
			ms, err := MASE(tc.in, tc.y, tc.f, tc.m)
			if err != nil || math.Abs(ms-tc.wantMS) > 1e-12 {
				t.Fatalf("MASE = %v, %v; want %v", ms, err, tc.wantMS)
			}
		})
	}
	badCases := []struct {
		name string
		fn   func() error
	}{
		{"smape empty", func() error { _, err := SMAPE(nil, nil); return err }},
		{"smape mismatch", func() error { _, err := SMAPE([]float64{1}, []float64{1, 2}); return err }},
		{"mase m=0", func() error { _, err := MASE([]float64{1, 2}, []float64{1}, []float64{1}, 0); return err }},
		{"mase short insample", func() error { _, err := MASE([]float64{1, 2}, []float64{1}, []float64{1}, 2); return err }},
		{"mase mismatch", func() error { _, err := MASE([]float64{1, 2, 3}, []float64{1}, nil, 1); return err }},
	}
	for _, bc := range badCases {
		if err := bc.fn(); !errors.Is(err, ErrLength) {
			t.Errorf("%s: err = %v, want ErrLength", bc.name, err)
		}
	}
	// Zero in-sample scale: documented +Inf.
	if v, _ := MASE([]float64{1, 1, 1}, []float64{2}, []float64{1}, 1); !math.IsInf(v, 1) {
		t.Errorf("zero scale MASE = %v, want +Inf", v)
	}
}

func BenchmarkSeasonalNaive(b *testing.B) {
	histories := make([][]float64, 1000)
	for i := range histories {
		histories[i] = make([]float64, 168)
	}
	const h = 48
	dst := make([]float64, len(histories)*h)
	m := SeasonalNaive{Season: 24}
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Forecast(dst, histories, h); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(histories)), "ns/series")
}
