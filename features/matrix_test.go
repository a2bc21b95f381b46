package features

import (
	"errors"
	"math"
	"testing"
	"time"
)

// matrixSeries is a seeded series with exogenous columns, irregular but
// increasing times (crossing days, months and a year), and awkward values.
func matrixSeries(seed uint64, n int) MatrixInput {
	rng := newRand(seed)
	in := MatrixInput{Exog: [][]float64{make([]float64, n), nil}}
	t := time.Date(2025, 12, 30, 17, 0, 0, 0, time.UTC).UnixMilli()
	for i := range n {
		t += int64(1+rng.IntN(3)) * 3_600_000
		v := 100 + 50*math.Sin(float64(i)/7) + rng.NormFloat64()*10
		switch rng.IntN(20) {
		case 0:
			v = 0
		case 1:
			v = math.Copysign(0, -1)
		case 2:
			v = 1e12
		case 3:
			v = -1e-9
		}
		in.Times = append(in.Times, t)
		in.Y = append(in.Y, v)
		in.Exog[0][i] = math.Round(rng.NormFloat64() * 100)
	}
	return in
}

func sameBits(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// The golden property: the offline matrix row t equals, bit for bit,
// Features of the online state after applying rows 0…t with Step, across
// block boundaries of every window, ring wrap-around (History 40 < n) and
// EWMA restarts.
func TestMatrixEqualsOnlineState(t *testing.T) {
	cfgs := []Config{
		{History: 40, Windows: []int{1, 3, 7, 24, 40}, Lags: []int{1, 2, 24, 40}, EWMAAlphas: []float64{0.1, 0.5, 1},
			Exog: []string{"temp", "never"}, KeyPrefix: "sc"},
		{History: 1024, Windows: []int{24, 168}, Lags: []int{1, 24, 168}, EWMAAlphas: []float64{0.1, 0.5},
			Exog: []string{"temp", "never"}, KeyPrefix: "sc"},
		{History: 16, Windows: []int{5}, Exog: []string{"temp", "never"}, KeyPrefix: "sc"},
	}
	for ci, cfg := range cfgs {
		in := matrixSeries(uint64(ci+1), 700)
		m, err := cfg.Matrix(nil, in)
		if err != nil {
			t.Fatal(err)
		}
		nf := cfg.NumFeatures()
		names := cfg.FeatureNames()
		st := NewState("s")
		var online []float64
		for r := range in.Y {
			ob := Observation{Series: "s", TS: time.UnixMilli(in.Times[r]), Value: in.Y[r],
				Exog: map[string]float64{"temp": in.Exog[0][r]}, Source: SourcePos{Offset: int64(r)}}
			if s := cfg.Step(st, &ob); s != Applied {
				t.Fatalf("row %d: %v", r, s)
			}
			online = cfg.Features(st, online)
			row := m[r*nf : (r+1)*nf]
			for k := range online {
				if !sameBits(online[k], row[k]) {
					t.Fatalf("config %d row %d %s: online %v, offline %v", ci, r, names[k], online[k], row[k])
				}
			}
		}
	}
}

// The block-decomposed window statistics are the usual ones up to rounding.
func TestWindowStatsAccuracy(t *testing.T) {
	rng := newRand(11)
	for range 2000 {
		w := 1 + rng.IntN(50)
		n := 1 + rng.IntN(w)
		p := int64(n - 1 + rng.IntN(200))
		if int(p)+1 < n {
			continue
		}
		x := make([]float64, n)
		for i := range x {
			x[i] = 1000 + rng.NormFloat64()
		}
		mean, std, lo, hi := blockStats(x, p, w)
		var s, ss float64
		wlo, whi := x[0], x[0]
		for _, v := range x {
			s += v
			wlo, whi = min(wlo, v), max(whi, v)
		}
		wm := s / float64(n)
		for _, v := range x {
			ss += (v - wm) * (v - wm)
		}
		ws := math.Sqrt(ss / float64(n))
		if math.Abs(mean-wm) > 1e-12*1000 || math.Abs(std-ws) > 1e-9 || lo != wlo || hi != whi {
			t.Fatalf("w=%d n=%d p=%d: got %v %v %v %v want %v %v %v %v", w, n, p, mean, std, lo, hi, wm, ws, wlo, whi)
		}
	}
}

func TestMatrixRejectsWhatTheStreamSkips(t *testing.T) {
	cfg := DefaultConfig()
	good := matrixSeries(1, 10)
	good.Exog = nil
	for name, mut := range map[string]func(*MatrixInput){
		"late":    func(in *MatrixInput) { in.Times[5] = in.Times[4] },
		"nan":     func(in *MatrixInput) { in.Y[3] = math.NaN() },
		"huge":    func(in *MatrixInput) { in.Y[3] = 2 * MaxAbsValue },
		"lengths": func(in *MatrixInput) { in.Times = in.Times[:9] },
	} {
		in := good
		in.Times = append([]int64(nil), good.Times...)
		in.Y = append([]float64(nil), good.Y...)
		mut(&in)
		if _, err := cfg.Matrix(nil, in); !errors.Is(err, ErrSeries) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// BenchmarkMatrix: lag + rolling + calendar features (the default windows
// 24 and 168, lags 1, 24, 168, no EWMA) of one 10,000-row series; see the
// rows/s metric.
func BenchmarkMatrix(b *testing.B) {
	cfg := DefaultConfig()
	cfg.EWMAAlphas = nil
	in := matrixSeries(1, 10000)
	in.Exog = nil
	dst := make([]float64, len(in.Y)*cfg.NumFeatures())
	b.ResetTimer()
	for b.Loop() {
		var err error
		if dst, err = cfg.Matrix(dst, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(in.Y))/b.Elapsed().Seconds(), "rows/s")
}
