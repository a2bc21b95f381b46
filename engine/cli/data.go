package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/streamcast/streamcast/ingest"
)

// dataFlags select the series of a data file (read with ingest.Load, so
// every format and column-name flag of the offline loader applies) and an
// optional static file.
type dataFlags struct {
	path, column, rows, static string
	load                       ingest.LoadOptions
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.path, "data", "", "series file: long unique_id,ds,y[,exog…] (CSV, Parquet, JSON lines) or a wide file (--format wide, or --column) (required)")
	fs.StringVar(&d.column, "column", "", "use only this column of a wide file (one column per series, e.g. OT of ETTh1.csv) as the single series")
	fs.StringVar(&d.rows, "rows", "", "use only values [start:end) of every series (Go slice syntax, e.g. 0:8640 or :11520)")
	fs.StringVar(&d.static, "static", "", "static file: unique_id and one numeric column per static variable (NeuralForecast's static_df)")
	d.load.RegisterFlags(fs)
}

// dataset is a loaded data file: the frame, views of its series after
// --rows, and the static file when given.
type dataset struct {
	f      *ingest.Frame
	series []ingest.Series
	static *ingest.Static
}

// exogNames are the exogenous columns of the data file.
func (ds *dataset) exogNames() []string { return ds.f.ExogNames }

// staticNames are the static file's variables (nil without one).
func (ds *dataset) staticNames() []string {
	if ds.static == nil {
		return nil
	}
	return ds.static.Names
}

// loadData reads --data (and --static) and applies --column and --rows.
func (d *dataFlags) loadData() (*dataset, error) {
	if d.path == "" {
		return nil, fmt.Errorf("--data is required: %w", errUsage)
	}
	lo, hi, err := parseRows(d.rows)
	if err != nil {
		return nil, err
	}
	opts := d.load
	if d.column != "" && (opts.Format == "" || opts.Format == ingest.FormatAuto || opts.Format == ingest.FormatCSV) {
		opts.Format = ingest.FormatWide
	}
	f, _, err := ingest.Load(d.path, opts)
	if err != nil {
		return nil, dataErr(err)
	}
	if d.column != "" {
		i, ok := f.Index(d.column)
		if !ok {
			return nil, fmt.Errorf("--column %q: %s has no such column (it has %s): %w", d.column, d.path, strings.Join(f.IDs, ", "), errUsage)
		}
		s := f.Series(i, nil)
		f = &ingest.Frame{IDs: []string{s.ID}, Offsets: []int{0, len(s.Time)}, Time: s.Time, TimeKind: f.TimeKind, Y: s.Y, Freq: f.Freq, Source: f.Source}
	}
	ds := &dataset{f: f}
	for i := range f.IDs {
		s := f.Series(i, nil)
		end := len(s.Y)
		if hi >= 0 {
			end = min(hi, end)
		}
		if lo >= end {
			return nil, fmt.Errorf("--rows %s leaves no values of series %q (%d values): %w", d.rows, s.ID, len(s.Y), errData)
		}
		c := ingest.Series{ID: s.ID, Time: s.Time[lo:end], Y: s.Y[lo:end]}
		for _, x := range s.Exog {
			c.Exog = append(c.Exog, x[lo:end])
		}
		ds.series = append(ds.series, c)
	}
	if d.static != "" {
		so := ingest.LoadOptions{IDCol: opts.IDCol}
		if ds.static, err = ingest.LoadStatic(d.static, so); err != nil {
			return nil, dataErr(err)
		}
	}
	return ds, nil
}

func parseRows(s string) (lo, hi int, err error) {
	if s == "" {
		return 0, -1, nil
	}
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("--rows %q: want start:end: %w", s, errUsage)
	}
	hi = -1
	if a != "" {
		if lo, err = strconv.Atoi(a); err != nil || lo < 0 {
			return 0, 0, fmt.Errorf("--rows %q: bad start: %w", s, errUsage)
		}
	}
	if b != "" {
		if hi, err = strconv.Atoi(b); err != nil || hi <= lo {
			return 0, 0, fmt.Errorf("--rows %q: bad end: %w", s, errUsage)
		}
	}
	return lo, hi, nil
}

// toTimes converts frame times to time.Time for calendar features; integer
// time stamps have no calendar.
func toTimes(kind ingest.TimeKind, ts []int64) ([]time.Time, error) {
	if kind != ingest.TimeStamp {
		return nil, fmt.Errorf("calendar inputs need dates or date-times in the time column, not integers: %w", errData)
	}
	out := make([]time.Time, len(ts))
	for i, t := range ts {
		out[i] = time.UnixMilli(t).UTC()
	}
	return out, nil
}

// futureTimes returns the n time stamps after last at the frame's
// frequency.
func futureTimes(f *ingest.Frame, last int64, n int) ([]int64, error) {
	if f.Freq.IsZero() {
		return nil, fmt.Errorf("%s: no frequency could be inferred for the horizon's time stamps; give --freq: %w", f.Source, errUsage)
	}
	out := make([]int64, n)
	for k := range out {
		out[k] = f.Freq.Add(last, k+1)
	}
	return out, nil
}
