package forecast

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/streamcast/streamcast/internal/shareddata"
)

// readWide reads an M4 wide CSV (header, then id + values, trailing empty
// fields as padding) into id → values.
func readWide(path string) (ids []string, rows map[string][]float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return nil, nil, fmt.Errorf("%s header: %w", path, err)
	}
	rows = map[string][]float64{}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, nil, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		vals := make([]float64, 0, len(rec)-1)
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
		rows[rec[0]] = vals
	}
	return ids, rows, nil
}

// TestM4HourlySeasonalNaive reproduces the organisers' M4 Hourly sNaive
// benchmark: forecasts identical to submission-sNaive-Hourly.csv and the
// published sMAPE 13.912 / MASE 1.193.
func TestM4HourlySeasonalNaive(t *testing.T) {
	dir := filepath.Dir(shareddata.File(t, "m4-hourly", "Hourly-train.csv"))
	ids, train, err := readWide(filepath.Join(dir, "Hourly-train.csv"))
	if err != nil {
		t.Fatal(err)
	}
	_, test, err := readWide(filepath.Join(dir, "Hourly-test.csv"))
	if err != nil {
		t.Fatal(err)
	}
	_, bench, err := readWide(filepath.Join(dir, "benchmarks", "submission-sNaive-Hourly.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 414 {
		t.Fatalf("%d train series, want 414", len(ids))
	}
	const h, m = 48, 24
	model, err := New("snaive", Options{Season: m})
	if err != nil {
		t.Fatal(err)
	}
	histories := make([][]float64, len(ids))
	for i, id := range ids {
		histories[i] = train[id]
	}
	dst := make([]float64, len(ids)*h)
	if err := model.Forecast(dst, histories, h); err != nil {
		t.Fatal(err)
	}
	var sumS, sumM float64
	for i, id := range ids {
		fc := dst[i*h : (i+1)*h]
		want, ok := bench[id]
		if !ok || len(want) != h {
			t.Fatalf("%s: benchmark row missing or wrong length", id)
		}
		for j := range fc {
			if math.Abs(fc[j]-want[j]) > 1e-9*math.Max(1, math.Abs(want[j])) {
				t.Fatalf("%s step %d: forecast %v, organisers' sNaive %v", id, j+1, fc[j], want[j])
			}
		}
		y := test[id]
		s, err := SMAPE(y, fc)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		ms, err := MASE(train[id], y, fc, m)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		sumS += s
		sumM += ms
	}
	smape := sumS / float64(len(ids))
	mase := sumM / float64(len(ids))
	t.Logf("M4 Hourly sNaive: sMAPE %.5f, MASE %.5f", smape, mase)
	if got := math.Round(smape*1000) / 1000; got != 13.912 {
		t.Errorf("sMAPE %.5f rounds to %.3f, published 13.912", smape, got)
	}
	if got := math.Round(mase*1000) / 1000; got != 1.193 {
		t.Errorf("MASE %.5f rounds to %.3f, published 1.193", mase, got)
	}
}
