package modeltest

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/train"
	"github.com/streamcast/streamcast/ingest"
	"github.com/streamcast/streamcast/internal/shareddata"
)

// Minimal loaders of the two accuracy protocols of shared/data/README.md,
// for the accuracy tests of the model packages.

// M4 Hourly: h = 48, MASE period 24, Naive2's scores on the same data
// (shared/data/README.md reproduces them exactly: sMAPE 18.38288, MASE
// 2.39504, published 18.383 / 2.395).
const (
	M4H           = 48
	m4Season      = 24
	m4Naive2SMAPE = 18.38288
	m4Naive2MASE  = 2.39504
	ettTrainEnd   = 8640
	ettValEnd     = 11520
	ettTestEnd    = 14400
)

// M4Hourly holds the 414 training series and their 48 test values.
type M4Hourly struct {
	IDs         []string
	Train, Test [][]float64
}

// LoadM4Hourly reads shared/data/m4-hourly (skipping t when absent).
func LoadM4Hourly(t testing.TB) *M4Hourly {
	t.Helper()
	dir := filepath.Dir(shareddata.File(t, "m4-hourly", "Hourly-train.csv"))
	ids, tr, err := readWide(filepath.Join(dir, "Hourly-train.csv"))
	if err != nil {
		t.Fatal(err)
	}
	ids2, te, err := readWide(filepath.Join(dir, "Hourly-test.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 414 || len(ids2) != 414 {
		t.Fatalf("M4 Hourly: %d train and %d test series, want 414", len(ids), len(ids2))
	}
	for i := range ids {
		if ids[i] != ids2[i] || len(te[i]) != M4H {
			t.Fatalf("M4 Hourly: test row %d is %s with %d values", i, ids2[i], len(te[i]))
		}
	}
	return &M4Hourly{IDs: ids, Train: tr, Test: te}
}

// readWide reads an M4 wide CSV: header, then id and values (empty fields
// pad short rows).
func readWide(path string) (ids []string, rows [][]float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	if _, err := r.Read(); err != nil {
		return nil, nil, fmt.Errorf("%s header: %w", path, err)
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return ids, rows, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		var vals []float64
		for _, s := range rec[1:] {
			if s == "" {
				break
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%s line %d: %w", path, line, err)
			}
			vals = append(vals, v)
		}
		ids = append(ids, rec[0])
		rows = append(rows, vals)
	}
}

// ScoreM4 forecasts 48 steps from the end of every training series and
// returns the mean sMAPE and MASE and the OWA against Naive2.
func ScoreM4(t testing.TB, m model.Model, d *M4Hourly) (smape, mase, owa float64) {
	t.Helper()
	fc := make([]float64, len(d.Train)*M4H)
	if err := model.NewPredictor(m).Predict(fc, d.Train); err != nil {
		t.Fatal(err)
	}
	for i, y := range d.Test {
		f := fc[i*M4H : (i+1)*M4H]
		s, err := forecast.SMAPE(y, f)
		if err != nil {
			t.Fatalf("%s: %v", d.IDs[i], err)
		}
		q, err := forecast.MASE(d.Train[i], y, f, m4Season)
		if err != nil {
			t.Fatalf("%s: %v", d.IDs[i], err)
		}
		smape += s
		mase += q
	}
	n := float64(len(d.Test))
	smape, mase = smape/n, mase/n
	return smape, mase, 0.5 * (smape/m4Naive2SMAPE + mase/m4Naive2MASE)
}

// ETTh1 holds the seven columns of rows [0, 14400) z-scored with the mean
// and population standard deviation of the training rows [0, 8640).
type ETTh1 struct {
	Z [][]float64
}

// LoadETTh1 reads shared/data/etth1/ETTh1.csv (skipping t when absent).
func LoadETTh1(t testing.TB) *ETTh1 {
	t.Helper()
	p := shareddata.File(t, "etth1", "ETTh1.csv")
	d := &ETTh1{}
	for _, col := range []string{"HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"} {
		fd, err := ingest.ReadSeriesFile(p, col)
		if err != nil {
			t.Fatal(err)
		}
		y := fd.Series[0].Y
		if len(y) < ettTestEnd {
			t.Fatalf("ETTh1 %s has %d rows", col, len(y))
		}
		var mean, ss float64
		for _, v := range y[:ettTrainEnd] {
			mean += v
		}
		mean /= ettTrainEnd
		for _, v := range y[:ettTrainEnd] {
			ss += (v - mean) * (v - mean)
		}
		sd := math.Sqrt(ss / ettTrainEnd)
		z := make([]float64, ettTestEnd)
		for i := range z {
			z[i] = (y[i] - mean) / sd
		}
		d.Z = append(d.Z, z)
	}
	return d
}

// Train returns rows [0, end) of every column.
func (d *ETTh1) Train(end int) [][]float64 {
	out := make([][]float64, len(d.Z))
	for i, z := range d.Z {
		out[i] = z[:end]
	}
	return out
}

// ScoreETTh1 returns the MSE and MAE over every test window (targets in
// rows 11520–14399, one window per start hour) of every column.
func ScoreETTh1(t testing.TB, m model.Model, d *ETTh1) (mse, mae float64) {
	t.Helper()
	c := m.Common()
	L, H := c.InputSize, c.H
	p := model.NewPredictor(m)
	const chunk = 512
	x := make([]float32, chunk*L)
	out := make([]float32, chunk*H)
	windows := ettTestEnd - ettValEnd - H + 1
	for _, z := range d.Z {
		for w0 := 0; w0 < windows; w0 += chunk {
			b := min(chunk, windows-w0)
			for k := range b {
				st := ettValEnd + w0 + k
				for j, v := range z[st-L : st] {
					x[k*L+j] = float32(v)
				}
			}
			if err := p.PredictWindows(out[:b*H], x[:b*L], b); err != nil {
				t.Fatal(err)
			}
			for k := range b {
				st := ettValEnd + w0 + k
				for j := range H {
					e := float64(out[k*H+j]) - z[st+j]
					mse += e * e
					mae += math.Abs(e)
				}
			}
		}
	}
	n := float64(len(d.Z) * windows * H)
	return mse / n, mae / n
}

// Fit trains m on series with cfg and fails t on error.
func Fit(t testing.TB, m model.Model, series [][]float64, cfg train.Config) *train.Result {
	t.Helper()
	res, err := train.Fit(context.Background(), m, series, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Full reports whether the full-length accuracy runs were asked for
// (STREAMCAST_ACCURACY_FULL=1) and skips t otherwise.
func Full(t *testing.T) {
	t.Helper()
	if os.Getenv("STREAMCAST_ACCURACY_FULL") == "" {
		t.Skip("set STREAMCAST_ACCURACY_FULL=1 for the full-length accuracy run (minutes on 2 cores)")
	}
}

// Seed returns STREAMCAST_ACCURACY_SEED (default 1): the random_seed of
// the model and of training in the full accuracy runs.
func Seed(t *testing.T) uint64 {
	t.Helper()
	s := os.Getenv("STREAMCAST_ACCURACY_SEED")
	if s == "" {
		return 1
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		t.Fatalf("STREAMCAST_ACCURACY_SEED=%q: want a positive integer", s)
	}
	return v
}
