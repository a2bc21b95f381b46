package metrics_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/streamcast/streamcast/engine/metrics"
	"github.com/streamcast/streamcast/ingest"
	"github.com/streamcast/streamcast/internal/shareddata"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

func TestPointMetrics(t *testing.T) {
	y := []float64{1, 2, 0, -4}
	f := []float64{2, 2, 1, -2}
	for _, c := range []struct {
		name string
		fn   func(y, f []float64) (float64, error)
		want float64
	}{
		{"MAE", metrics.MAE, (1 + 0 + 1 + 2) / 4.0},
		{"MSE", metrics.MSE, (1 + 0 + 1 + 4) / 4.0},
		{"RMSE", metrics.RMSE, math.Sqrt(6 / 4.0)},
		{"MAPE", metrics.MAPE, 100 * (1 + 0 + 0.5) / 3},
		{"sMAPE", metrics.SMAPE, (200*1/3.0 + 0 + 200 + 200*2/6.0) / 4},
	} {
		got, err := c.fn(y, f)
		if err != nil || !near(got, c.want, 1e-15) {
			t.Errorf("%s = %v, %v; want %v", c.name, got, err, c.want)
		}
		if _, err := c.fn(y, f[:2]); !errors.Is(err, metrics.ErrInput) {
			t.Errorf("%s mismatched: %v", c.name, err)
		}
	}
	if v, _ := metrics.SMAPE([]float64{0}, []float64{0}); v != 0 {
		t.Errorf("sMAPE 0/0 = %v", v)
	}
	if v, _ := metrics.MAPE([]float64{0}, []float64{1}); !math.IsNaN(v) {
		t.Errorf("MAPE without non-zero actuals = %v", v)
	}
	// MASE: history 1,3,1,3 with m=2 is periodic (scale 0) -> +Inf.
	if v, err := metrics.MASE([]float64{1, 3, 1, 3}, []float64{1}, []float64{2}, 2); err != nil || !math.IsInf(v, 1) {
		t.Errorf("MASE periodic = %v %v", v, err)
	}
	if v, _ := metrics.MASE([]float64{1, 2, 4, 7}, []float64{10}, []float64{8}, 1); !near(v, 2/2.0, 1e-15) {
		t.Errorf("MASE = %v", v)
	}
}

func TestQuantileMetrics(t *testing.T) {
	y := []float64{10, 20}
	taus := []float64{0.1, 0.5, 0.9}
	q := [][]float64{{8, 21}, {10, 19}, {12, 25}}
	crps, scaled, err := metrics.CRPS(y, taus, q)
	// pinball: t0: 0.1*2=0.2, 0, (0.9-1)*(-2)=0.2 ; t1: (0.1-1)*(-1)=0.9, 0.5*1=0.5, 0.1*5=0.5
	sum := 2.0 / 3 * (0.2 + 0 + 0.2 + 0.9 + 0.5 + 0.5)
	if err != nil || !near(crps, sum/2, 1e-14) || !near(scaled, sum/30, 1e-14) {
		t.Fatalf("CRPS %v scaled %v (%v), want %v %v", crps, scaled, err, sum/2, sum/30)
	}
	// A point mass at y (all quantiles exact) has CRPS 0.
	if c, _, _ := metrics.CRPS(y, taus, [][]float64{y, y, y}); c != 0 {
		t.Errorf("exact CRPS = %v", c)
	}
	if cov, _ := metrics.Coverage(y, q[0], q[2]); cov != 0.5 {
		t.Errorf("coverage %v", cov)
	}
	if _, _, err := metrics.CRPS(y, []float64{1}, q[:1]); !errors.Is(err, metrics.ErrInput) {
		t.Errorf("level 1 accepted: %v", err)
	}
}

// m4 reads the M4 Hourly train and test files and an organisers'
// benchmark submission.
func m4(t *testing.T, submission string) (train, test, fc *ingest.Frame) {
	t.Helper()
	var err error
	train, _, err = ingest.Load(shareddata.File(t, "m4-hourly", "Hourly-train.csv"), ingest.LoadOptions{Format: ingest.FormatM4})
	if err != nil {
		t.Fatal(err)
	}
	read := func(p string) *ingest.Frame {
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		f, err := ingest.ReadM4After(fh, p, train)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	test = read(shareddata.File(t, "m4-hourly", "Hourly-test.csv"))
	fc = read(shareddata.File(t, "m4-hourly", "benchmarks", submission))
	return train, test, fc
}

// Naive2 reproduces the organisers' Naive2 forecasts of M4 Hourly, and
// their sNaive submission scores the published sMAPE 13.912, MASE 1.193 and
// OWA 0.627 against it.
func TestM4HourlyNaive2AndOWA(t *testing.T) {
	train, test, official := m4(t, "submission-Naive2-Hourly.csv")
	_, _, snaive := m4(t, "submission-sNaive-Hourly.csv")
	var sSN, mSN, sN2, mN2 float64
	var fc []float64
	worst := 0.0
	for i := range train.IDs {
		x, y := train.Series(i, nil).Y, test.Series(i, nil).Y
		var err error
		if fc, err = metrics.Naive2(fc, x, 24, 48); err != nil {
			t.Fatal(err)
		}
		for k, v := range official.Series(i, nil).Y {
			worst = math.Max(worst, math.Abs(fc[k]-v)/math.Abs(v))
		}
		s, _ := metrics.SMAPE(y, fc)
		m, _ := metrics.MASE(x, y, fc, 24)
		sN2, mN2 = sN2+s, mN2+m
		sn := snaive.Series(i, nil).Y
		s, _ = metrics.SMAPE(y, sn)
		m, _ = metrics.MASE(x, y, sn, 24)
		sSN, mSN = sSN+s, mSN+m
	}
	n := float64(len(train.IDs))
	sSN, mSN, sN2, mN2 = sSN/n, mSN/n, sN2/n, mN2/n
	if worst > 1e-8 {
		t.Errorf("Naive2 differs from the organisers' by up to %.2g (relative)", worst)
	}
	owa := metrics.OWA(sSN, mSN, sN2, mN2)
	got := fmt.Sprintf("%.3f %.3f %.3f %.3f %.4f", sSN, mSN, sN2, mN2, owa)
	if want := "13.912 1.193 18.383 2.395 0.6275"; got != want {
		t.Errorf("sNaive sMAPE MASE, Naive2 sMAPE MASE, OWA = %s, want %s", got, want)
	}
}

// Naive2 of a history shorter than three seasons is the last value; a clean
// multiplicative daily cycle is continued exactly.
func TestNaive2ShortAndClean(t *testing.T) {
	f, err := metrics.Naive2(nil, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 24, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range f {
		if v != 10 {
			t.Fatalf("Naive2 of a short series %v, want the last value", f)
		}
	}
	y := make([]float64, 24*10)
	for i := range y {
		y[i] = 100 * (1 + 0.5*math.Sin(2*math.Pi*float64(i)/24))
	}
	if f, err = metrics.Naive2(f, y, 24, 48); err != nil {
		t.Fatal(err)
	}
	for j, v := range f {
		want := 100 * (1 + 0.5*math.Sin(2*math.Pi*float64(len(y)+j)/24))
		if math.Abs(v-want) > 1e-6*want {
			t.Fatalf("step %d: %v, want %v", j, v, want)
		}
	}
}
