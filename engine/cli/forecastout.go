package cli

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/streamcast/streamcast/ingest"
)

// quantileCols names the quantile outputs of a model in NeuralForecast's
// style and picks them: MODEL-lo-L and MODEL-hi-L for the quantiles
// 0.5 ∓ L/200 and MODEL-median for 0.5. levels (percent) selects the
// intervals to write (nil: every quantile of the model); a level the model
// does not forecast is a usage error. idx indexes qs.
func quantileCols(name string, qs, levels []float64) (cols []string, idx []int, err error) {
	find := func(q float64) int {
		for i, v := range qs {
			if math.Abs(v-q) < 1e-9 {
				return i
			}
		}
		return -1
	}
	if levels == nil {
		for i, q := range qs {
			cols = append(cols, quantileName(name, q))
			idx = append(idx, i)
		}
		return cols, idx, nil
	}
	if len(qs) == 0 {
		return nil, nil, fmt.Errorf("--level: the model forecasts no prediction intervals (trained with a point loss; train with --loss mqloss, normal or studentt): %w", errUsage)
	}
	var have []string
	for _, q := range qs {
		have = append(have, quantileName(name, q))
	}
	for _, l := range levels {
		lo, hi := find(0.5-l/200), find(0.5+l/200)
		if l <= 0 || l >= 100 || lo < 0 || hi < 0 {
			return nil, nil, fmt.Errorf("--level %g: the model has no such interval (its outputs: %s): %w", l, strings.Join(have, ", "), errUsage)
		}
		cols = append(cols, quantileName(name, qs[lo]), quantileName(name, qs[hi]))
		idx = append(idx, lo, hi)
	}
	return cols, idx, nil
}

func quantileName(name string, q float64) string {
	if math.Abs(q-0.5) < 1e-9 {
		return name + "-median"
	}
	l := strconv.FormatFloat(math.Round(math.Abs(1-2*q)*100*1e6)/1e6, 'f', -1, 64)
	if q < 0.5 {
		return name + "-lo-" + l
	}
	return name + "-hi-" + l
}

// forecastTable accumulates long-format output rows: unique_id, ds and
// numeric columns, one Frame entry per (series, origin).
type forecastTable struct {
	f *ingest.Frame
}

func newForecastTable(kind ingest.TimeKind, cols []string) *forecastTable {
	f := &ingest.Frame{Offsets: []int{0}, TimeKind: kind, ExogNames: cols, Exog: make([][]float64, len(cols))}
	return &forecastTable{f: f}
}

// add appends the rows of one series at times; vals(r, j) is column j of
// row r.
func (t *forecastTable) add(id string, times []int64, vals func(r, j int) float64) {
	f := t.f
	f.IDs = append(f.IDs, id)
	f.Time = append(f.Time, times...)
	for r := range times {
		for j := range f.Exog {
			f.Exog[j] = append(f.Exog[j], vals(r, j))
		}
	}
	f.Offsets = append(f.Offsets, len(f.Time))
}

// outFormat picks the output format from the extension of path.
func outFormat(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return ingest.FormatCSV, nil
	case ".parquet", ".pq":
		return ingest.FormatParquet, nil
	case ".jsonl", ".ndjson", ".json":
		return ingest.FormatJSONL, nil
	}
	return "", fmt.Errorf("--out %s: want a .csv, .parquet or .jsonl file: %w", path, errUsage)
}

// write writes the table to path in the format of its extension, with the
// id and time columns named by opts and timeCols written as times.
func (t *forecastTable) write(path string, opts ingest.LoadOptions, timeCols ...string) error {
	format, err := outFormat(path)
	if err != nil {
		return err
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := ingest.WriteFrameTimes(fh, t.f, format, opts, timeCols); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
