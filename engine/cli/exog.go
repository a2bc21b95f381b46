package cli

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/train"
	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/ingest"
)

// exogFlags select a model's exogenous inputs and loss.
type exogFlags struct {
	hist, futr, stat, loss, levels string
}

func (e *exogFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.hist, "hist-exog", "", "historical inputs, comma-separated: exogenous columns of the file and/or derived features (mean_W, std_W, min_W, max_W, lag_K, ewma_A); default: every exogenous column of the file not in --futr-exog (models that take exogenous inputs)")
	fs.StringVar(&e.futr, "futr-exog", "", "future-known inputs, comma-separated: exogenous columns of the file (predict then needs --futr) and/or calendar features ("+strings.Join(features.CalendarNames(), ", ")+")")
	fs.StringVar(&e.stat, "stat-exog", "", "static inputs, comma-separated columns of --static; default: every column of --static (models that take exogenous inputs)")
	fs.StringVar(&e.loss, "loss", "mae", "training loss: "+strings.Join(loss.FlagNames(), ", ")+" (mqloss, normal, studentt forecast prediction intervals)")
	fs.StringVar(&e.levels, "level", "", "prediction-interval levels in percent for mqloss/normal/studentt, e.g. 80,90 (default 80,90)")
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseLevels parses a comma-separated list of levels in percent.
func parseLevels(s string) ([]float64, error) {
	var levels []float64
	for _, f := range splitList(s) {
		var v float64
		if _, err := fmt.Sscan(f, &v); err != nil {
			return nil, fmt.Errorf("--level %q: %q is not a number: %w", s, f, errUsage)
		}
		levels = append(levels, v)
	}
	return levels, nil
}

// hyper returns the hyper-parameter fields the flags set, given the data
// file's exogenous columns, the static file's variables and whether the
// model kind takes exogenous inputs (defaults apply only then).
func (e *exogFlags) hyper(fileExog, static []string, exogOK bool) (map[string]any, error) {
	levels, err := parseLevels(e.levels)
	if err != nil {
		return nil, err
	}
	lc, err := loss.ParseFlag(e.loss, levels)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, errUsage)
	}
	out := map[string]any{"loss": lc}
	futr := splitList(e.futr)
	hist := splitList(e.hist)
	if e.hist == "" && exogOK {
		for _, n := range fileExog {
			if !slices.Contains(futr, n) {
				hist = append(hist, n)
			}
		}
	}
	stat := splitList(e.stat)
	if e.stat == "" && exogOK {
		stat = static
	}
	for _, n := range stat {
		if !slices.Contains(static, n) {
			if static == nil {
				return nil, fmt.Errorf("--stat-exog %s needs a --static file: %w", n, errUsage)
			}
			return nil, fmt.Errorf("--stat-exog %q: the static file has no such column (it has %s): %w", n, strings.Join(static, ", "), errUsage)
		}
	}
	if len(hist) > 0 {
		out["hist_exog_list"] = hist
	}
	if len(futr) > 0 {
		out["futr_exog_list"] = futr
	}
	if len(stat) > 0 {
		out["stat_exog_list"] = stat
	}
	return out, nil
}

// seriesInputs builds the training series of model c from one series of
// the data: each exogenous name is a column of the file when it has one,
// else a derived (historical) or calendar (future-known) feature computed
// with the same code as the stream; static variables come from the static
// file.
func seriesInputs(c model.Common, ds *dataset, s ingest.Series) (train.Series, error) {
	ts := train.Series{Y: s.Y}
	var derivedHist, derivedFutr []string
	for _, n := range c.HistExog {
		if _, ok := ds.f.ExogIndex(n); !ok {
			derivedHist = append(derivedHist, n)
		}
	}
	for _, n := range c.FutrExog {
		if _, ok := ds.f.ExogIndex(n); !ok {
			derivedFutr = append(derivedFutr, n)
		}
	}
	var times []time.Time
	if len(derivedFutr) > 0 {
		var err error
		if times, err = toTimes(ds.f.TimeKind, s.Time); err != nil {
			return ts, fmt.Errorf("series %q: calendar inputs %v: %w", s.ID, derivedFutr, err)
		}
	} else {
		times = make([]time.Time, len(s.Y)) // unused by derived features
	}
	hist, futr, err := features.SeriesInputs(derivedHist, derivedFutr, s.Y, times)
	if err != nil {
		return ts, fmt.Errorf("series %q: %w: %w", s.ID, err, errUsage)
	}
	pick := func(names []string, derived [][]float64) [][]float64 {
		var out [][]float64
		k := 0
		for _, n := range names {
			if j, ok := ds.f.ExogIndex(n); ok {
				out = append(out, s.Exog[j])
			} else {
				out = append(out, derived[k])
				k++
			}
		}
		return out
	}
	ts.Hist = pick(c.HistExog, hist)
	ts.Futr = pick(c.FutrExog, futr)
	if len(c.StatExog) > 0 {
		if ds.static == nil {
			return ts, fmt.Errorf("the model takes static variables %v: give --static: %w", c.StatExog, errUsage)
		}
		row, ok := ds.static.Row(s.ID, nil)
		if !ok {
			return ts, fmt.Errorf("series %q has no row in the static file: %w", s.ID, errData)
		}
		for _, n := range c.StatExog {
			j := slices.Index(ds.static.Names, n)
			if j < 0 {
				return ts, fmt.Errorf("the static file has no column %q, which the model takes: %w", n, errData)
			}
			ts.Stat = append(ts.Stat, row[j])
		}
	}
	return ts, nil
}

// exogSeries builds the training series of c from every series of ds.
func exogSeries(c model.Common, ds *dataset) ([]train.Series, error) {
	out := make([]train.Series, len(ds.series))
	for i, s := range ds.series {
		var err error
		if out[i], err = seriesInputs(c, ds, s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// horizonFutr returns the future-known inputs of c at the horizon times
// ([F][H]): calendar features computed from the times, columns of the data
// file looked up in src (the --futr file in predict, the data itself in cv) by series
// id and time.
func horizonFutr(c model.Common, ds *dataset, id string, times []int64, src *ingest.Frame) ([][]float64, error) {
	if len(c.FutrExog) == 0 {
		return nil, nil
	}
	kind := ds.f.TimeKind
	var cal []string // calendar features: names that are not columns of the data
	for _, n := range c.FutrExog {
		if _, ok := ds.f.ExogIndex(n); !ok {
			cal = append(cal, n)
		}
	}
	var calv [][]float64
	if len(cal) > 0 {
		tt, err := toTimes(kind, times)
		if err != nil {
			return nil, err
		}
		if _, calv, err = features.SeriesInputs(nil, cal, make([]float64, len(times)), tt); err != nil {
			return nil, err
		}
	}
	var s ingest.Series
	var rows []int
	out := make([][]float64, 0, len(c.FutrExog))
	k := 0
	for _, n := range c.FutrExog {
		if k < len(cal) && cal[k] == n {
			out = append(out, calv[k])
			k++
			continue
		}
		if src == nil {
			return nil, fmt.Errorf("future-known column %q: give its values over the horizon with --futr: %w", n, errUsage)
		}
		j, ok := src.ExogIndex(n)
		if !ok {
			return nil, fmt.Errorf("%s has no column %q, a future-known input of the model: %w", src.Source, n, errData)
		}
		if rows == nil {
			i, ok := src.Index(id)
			if !ok {
				return nil, fmt.Errorf("%s has no rows of series %q: %w", src.Source, id, errData)
			}
			s = src.Series(i, nil)
			for _, t := range times {
				r, found := slices.BinarySearch(s.Time, t)
				if !found {
					return nil, fmt.Errorf("%s has no row of series %q at %s (the horizon needs every step): %w", src.Source, id, src.FormatTime(t), errData)
				}
				rows = append(rows, r)
			}
		}
		v := make([]float64, len(times))
		for h, r := range rows {
			v[h] = s.Exog[j][r]
		}
		out = append(out, v)
	}
	return out, nil
}

// window is the input of one forecast: the series up to the forecast
// origin (with its exogenous inputs) and the future-known inputs over the
// horizon.
type window struct {
	s    train.Series
	futr [][]float64 // [F][H]
}

// buildBatch builds the model inputs of the windows: the last input_size
// values (zero-padded and masked in front), historical inputs over the
// window, future-known inputs over window and horizon, static inputs.
func buildBatch(c model.Common, ws []window) *model.Batch {
	L, H := c.InputSize, c.H
	F, X, S := len(c.FutrExog), len(c.HistExog), len(c.StatExog)
	B := len(ws)
	b := &model.Batch{B: B, Y: make([]float32, B*L), YMask: make([]float32, B*L),
		Futr: make([]float32, B*(L+H)*F), Hist: make([]float32, B*L*X), Stat: make([]float32, B*S)}
	for i, w := range ws {
		model.FillWindow(b.Y[i*L:(i+1)*L], b.YMask[i*L:(i+1)*L], w.s.Y)
		n := len(w.s.Y)
		for t := range L + H {
			o := n - L + t
			if o < 0 {
				continue
			}
			if t < L {
				for v := range X {
					b.Hist[(i*L+t)*X+v] = float32(w.s.Hist[v][o])
				}
			}
			for v := range F {
				x := 0.0
				if t < L {
					x = w.s.Futr[v][o]
				} else {
					x = w.futr[v][t-L]
				}
				b.Futr[(i*(L+H)+t)*F+v] = float32(x)
			}
		}
		for v := range S {
			b.Stat[i*S+v] = float32(w.s.Stat[v])
		}
	}
	return b
}
