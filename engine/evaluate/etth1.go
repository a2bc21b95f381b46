package evaluate

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

	"github.com/streamcast/streamcast/engine/model"
)

// ETTh1 split (rows of ETTh1.csv after the header).
const (
	ETTh1TrainEnd = 8640  // train rows [0, 8640)
	ETTh1ValEnd   = 11520 // validation rows [8640, 11520)
	ETTh1TestEnd  = 14400 // test rows [11520, 14400)
)

// ETTh1 defaults of Options.
const (
	ETTh1DefaultH         = 96
	ETTh1DefaultInputSize = 336
)

// ETTh1Data holds the seven ETTh1 columns over rows [0, 14400), z-scored
// with the training rows' mean and population standard deviation.
type ETTh1Data struct {
	Columns []string    // HUFL, HULL, MUFL, MULL, LUFL, LULL, OT
	Z       [][]float64 // Z[c][row], len ETTh1TestEnd
	Mean    []float64   // training mean per column
	Std     []float64   // training population std per column
}

// findFile returns the first of dir/sub/name and dir/name that exists.
func findFile(dir, sub, name string) (string, error) {
	for _, p := range []string{filepath.Join(dir, sub, name), filepath.Join(dir, name)} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("evaluate: %s not found in %s or %s: %w", name, filepath.Join(dir, sub), dir, os.ErrNotExist)
}

// LoadETTh1 reads ETTh1.csv from dir/etth1/ or dir and normalises it.
func LoadETTh1(dir string) (*ETTh1Data, error) {
	p, err := findFile(dir, "etth1", "ETTh1.csv")
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	defer f.Close()
	d, err := ReadETTh1(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return d, nil
}

// ReadETTh1 parses an ETT CSV (date column, then numeric columns) and
// normalises its first 14,400 rows.
func ReadETTh1(r io.Reader) (*ETTh1Data, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("evaluate: ETTh1 header: %w", err)
	}
	if len(head) < 2 || head[0] != "date" {
		return nil, fmt.Errorf("evaluate: ETTh1 header %q: want date followed by value columns", head)
	}
	d := &ETTh1Data{Columns: append([]string(nil), head[1:]...)}
	nc := len(d.Columns)
	d.Z = make([][]float64, nc)
	for c := range d.Z {
		d.Z[c] = make([]float64, 0, ETTh1TestEnd)
	}
	for line := 2; len(d.Z[0]) < ETTh1TestEnd; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("evaluate: ETTh1 has %d data rows, the protocol needs %d", line-2, ETTh1TestEnd)
		}
		if err != nil {
			return nil, fmt.Errorf("evaluate: ETTh1 line %d: %w", line, err)
		}
		for c := range nc {
			v, err := strconv.ParseFloat(rec[c+1], 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("evaluate: ETTh1 line %d column %s: bad value %q", line, d.Columns[c], rec[c+1])
			}
			d.Z[c] = append(d.Z[c], v)
		}
	}
	d.Mean, d.Std = make([]float64, nc), make([]float64, nc)
	for c, y := range d.Z {
		var s float64
		for _, v := range y[:ETTh1TrainEnd] {
			s += v
		}
		mean := s / ETTh1TrainEnd
		var ss float64
		for _, v := range y[:ETTh1TrainEnd] {
			ss += (v - mean) * (v - mean)
		}
		sd := math.Sqrt(ss / ETTh1TrainEnd)
		if sd == 0 {
			return nil, fmt.Errorf("evaluate: ETTh1 column %s is constant over the training rows", d.Columns[c])
		}
		d.Mean[c], d.Std[c] = mean, sd
		for i, v := range y {
			y[i] = (v - mean) / sd
		}
	}
	return d, nil
}

// Train returns the training rows of every column (shared, do not modify).
func (d *ETTh1Data) Train() [][]float64 {
	out := make([][]float64, len(d.Z))
	for c, z := range d.Z {
		out[c] = z[:ETTh1TrainEnd]
	}
	return out
}

// ScoreETTh1 forecasts every test window of every column with m and
// returns MSE and MAE on the normalised scale and the number of windows
// per column. Models trained with a multi-output loss are scored on the
// Predictor's point forecast (MQLoss: the quantile nearest the median;
// DistributionLoss: the mean).
func ScoreETTh1(m model.Model, d *ETTh1Data) (mse, mae float64, windows int, err error) {
	c := m.Common()
	L, H := c.InputSize, c.H
	if H < 1 || H > ETTh1TestEnd-ETTh1ValEnd {
		return 0, 0, 0, fmt.Errorf("evaluate: ETTh1 horizon %d must be in [1, %d]", H, ETTh1TestEnd-ETTh1ValEnd)
	}
	if L > ETTh1ValEnd {
		return 0, 0, 0, fmt.Errorf("evaluate: ETTh1 input_size %d exceeds the %d rows before the test period", L, ETTh1ValEnd)
	}
	windows = ETTh1TestEnd - ETTh1ValEnd - H + 1
	const chunk = 1024
	p := model.NewPredictor(m)
	x := make([]float32, chunk*L)
	out := make([]float32, chunk*H)
	var se, ae float64
	for _, z := range d.Z {
		for w0 := 0; w0 < windows; w0 += chunk {
			b := min(chunk, windows-w0)
			for k := range b {
				st := ETTh1ValEnd + w0 + k // first target row
				for j, v := range z[st-L : st] {
					x[k*L+j] = float32(v)
				}
			}
			if err := p.PredictWindows(out[:b*H], x[:b*L], b); err != nil {
				return 0, 0, 0, fmt.Errorf("evaluate: %w", err)
			}
			for k := range b {
				st := ETTh1ValEnd + w0 + k
				for j := range H {
					e := float64(out[k*H+j]) - z[st+j]
					se += e * e
					ae += math.Abs(e)
				}
			}
		}
	}
	n := float64(len(d.Z) * windows * H)
	mse, mae = se/n, ae/n
	if math.IsNaN(mse) || math.IsInf(mse, 0) {
		return 0, 0, 0, fmt.Errorf("evaluate: %s forecasts are not finite (MSE %v)", m.Kind(), mse)
	}
	return mse, mae, windows, nil
}

// RunETTh1 trains a model on the training rows of the seven columns
// (channel-independent: each column is one series) and scores it on the
// test period.
func RunETTh1(ctx context.Context, d *ETTh1Data, o Options) (Result, error) {
	h, L := o.H, o.InputSize
	if h == 0 {
		h = ETTh1DefaultH
	}
	if L == 0 {
		L = ETTh1DefaultInputSize
	}
	m, err := NewModel(o, L, h)
	if err != nil {
		return Result{}, err
	}
	c := m.Common() // o.Hyper may have changed input_size or h
	if c.InputSize+c.H > ETTh1TrainEnd {
		return Result{}, fmt.Errorf("evaluate: input_size %d + h %d leave no training window in %d rows", c.InputSize, c.H, ETTh1TrainEnd)
	}
	tr, err := fit(ctx, m, d.Train(), o)
	if err != nil {
		return Result{}, err
	}
	mse, mae, windows, err := ScoreETTh1(m, d)
	if err != nil {
		return Result{}, err
	}
	return Result{Benchmark: ETTh1, Model: m.Kind(), H: c.H, InputSize: c.InputSize, Seed: o.seed(),
		Steps: tr.Steps, TrainTime: tr.Duration, Series: len(d.Z), Windows: windows, MSE: mse, MAE: mae}, nil
}
