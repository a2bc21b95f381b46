package evaluate

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/engine/metrics"
	"github.com/streamcast/streamcast/engine/model"
)

// M4 Hourly protocol constants.
const (
	M4HourlyH      = 48  // horizon
	M4HourlySeason = 24  // seasonal period of MASE and Naive2
	M4HourlySeries = 414 // series in the Hourly subset
)

// M4Data holds the M4 Hourly training histories and test values, in file
// order, with the Naive2 reference scores.
type M4Data struct {
	IDs   []string
	Train [][]float64
	Test  [][]float64 // 48 values per series

	Naive2SMAPE, Naive2MASE float64
}

// LoadM4Hourly reads Hourly-train.csv and Hourly-test.csv from
// dir/m4-hourly/ or dir, checks that they describe the same 414 series
// and scores Naive2 on them.
func LoadM4Hourly(dir string) (*M4Data, error) {
	tp, err := findFile(dir, "m4-hourly", "Hourly-train.csv")
	if err != nil {
		return nil, err
	}
	ep, err := findFile(dir, "m4-hourly", "Hourly-test.csv")
	if err != nil {
		return nil, err
	}
	ids, train, err := readM4File(tp)
	if err != nil {
		return nil, err
	}
	tids, test, err := readM4File(ep)
	if err != nil {
		return nil, err
	}
	if len(ids) != M4HourlySeries || len(tids) != len(ids) {
		return nil, fmt.Errorf("evaluate: M4 Hourly has %d train and %d test series, want %d", len(ids), len(tids), M4HourlySeries)
	}
	for i := range ids {
		if ids[i] != tids[i] {
			return nil, fmt.Errorf("evaluate: M4 Hourly series %d is %s in the train file and %s in the test file", i, ids[i], tids[i])
		}
		if len(test[i]) != M4HourlyH {
			return nil, fmt.Errorf("evaluate: M4 Hourly test series %s has %d values, want %d", ids[i], len(test[i]), M4HourlyH)
		}
		if len(train[i]) <= M4HourlySeason {
			return nil, fmt.Errorf("evaluate: M4 Hourly train series %s has %d values", ids[i], len(train[i]))
		}
	}
	d := &M4Data{IDs: ids, Train: train, Test: test}
	fc := make([]float64, len(ids)*M4HourlyH)
	var f []float64
	for i, x := range train {
		if f, err = metrics.Naive2(f, x, M4HourlySeason, M4HourlyH); err != nil {
			return nil, err
		}
		copy(fc[i*M4HourlyH:], f)
	}
	if d.Naive2SMAPE, d.Naive2MASE, err = d.Score(fc); err != nil {
		return nil, err
	}
	return d, nil
}

// readM4File reads an M4 wide CSV: a header, then one row per series with
// its id and values, padded with empty fields at the end.
func readM4File(path string) (ids []string, rows [][]float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("evaluate: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return nil, nil, fmt.Errorf("evaluate: %s header: %w", path, err)
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return ids, rows, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("evaluate: %s line %d: %w", path, line, err)
		}
		vals := make([]float64, 0, len(rec)-1)
		ended := false
		for _, s := range rec[1:] {
			if s == "" {
				ended = true
				continue
			}
			if ended {
				return nil, nil, fmt.Errorf("evaluate: %s line %d: value after a gap", path, line)
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("evaluate: %s line %d: bad value %q", path, line, s)
			}
			vals = append(vals, v)
		}
		ids = append(ids, rec[0])
		rows = append(rows, vals)
	}
}

// Score returns the mean sMAPE and MASE of forecasts fc (48 per series,
// row-major in series order).
func (d *M4Data) Score(fc []float64) (smape, mase float64, err error) {
	if len(fc) != len(d.Test)*M4HourlyH {
		return 0, 0, fmt.Errorf("evaluate: %d forecasts for %d series × %d", len(fc), len(d.Test), M4HourlyH)
	}
	for i, y := range d.Test {
		f := fc[i*M4HourlyH : (i+1)*M4HourlyH]
		s, err := forecast.SMAPE(y, f)
		if err != nil {
			return 0, 0, fmt.Errorf("evaluate: series %s: %w", d.IDs[i], err)
		}
		q, err := forecast.MASE(d.Train[i], y, f, M4HourlySeason)
		if err != nil {
			return 0, 0, fmt.Errorf("evaluate: series %s: %w", d.IDs[i], err)
		}
		smape += s
		mase += q
	}
	n := float64(len(d.Test))
	return smape / n, mase / n, nil
}

// OWA returns the overall weighted average of sMAPE and MASE relative to
// Naive2's: ½ (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2).
func (d *M4Data) OWA(smape, mase float64) float64 {
	return 0.5 * (smape/d.Naive2SMAPE + mase/d.Naive2MASE)
}

// ScoreM4Hourly forecasts 48 steps from the end of every training series
// with m (its point forecast, as in ScoreETTh1) and returns the mean sMAPE
// and MASE and the OWA.
func ScoreM4Hourly(m model.Model, d *M4Data) (smape, mase, owa float64, err error) {
	if h := m.Common().H; h != M4HourlyH {
		return 0, 0, 0, fmt.Errorf("evaluate: M4 Hourly needs h = %d, the model has %d", M4HourlyH, h)
	}
	p := model.NewPredictor(m)
	fc := make([]float64, len(d.Train)*M4HourlyH)
	const chunk = 128
	for i := 0; i < len(d.Train); i += chunk {
		j := min(i+chunk, len(d.Train))
		if err := p.Predict(fc[i*M4HourlyH:j*M4HourlyH], d.Train[i:j]); err != nil {
			return 0, 0, 0, fmt.Errorf("evaluate: %w", err)
		}
	}
	for i, v := range fc {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, 0, 0, fmt.Errorf("evaluate: %s forecast of series %s is not finite", m.Kind(), d.IDs[i/M4HourlyH])
		}
	}
	if smape, mase, err = d.Score(fc); err != nil {
		return 0, 0, 0, err
	}
	return smape, mase, d.OWA(smape, mase), nil
}

// RunM4Hourly trains a model on the 414 training series and scores its
// forecasts of the test period.
func RunM4Hourly(ctx context.Context, d *M4Data, o Options) (Result, error) {
	if o.H != 0 && o.H != M4HourlyH {
		return Result{}, fmt.Errorf("evaluate: M4 Hourly's horizon is %d, not %d", M4HourlyH, o.H)
	}
	L := o.InputSize
	if L == 0 {
		L = 2 * M4HourlyH
	}
	m, err := NewModel(o, L, M4HourlyH)
	if err != nil {
		return Result{}, err
	}
	tr, err := fit(ctx, m, d.Train, o)
	if err != nil {
		return Result{}, err
	}
	smape, mase, owa, err := ScoreM4Hourly(m, d)
	if err != nil {
		return Result{}, err
	}
	return Result{Benchmark: M4Hourly, Model: m.Kind(), H: M4HourlyH, InputSize: m.Common().InputSize, Seed: o.seed(),
		Steps: tr.Steps, TrainTime: tr.Duration, Series: len(d.Train), Windows: 1,
		SMAPE: smape, MASE: mase, OWA: owa, Naive2SMAPE: d.Naive2SMAPE, Naive2MASE: d.Naive2MASE}, nil
}
