package cli

import (
	"flag"
	"fmt"
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
	hist, futr, loss, levels string
}

func (e *exogFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.hist, "hist-exog", "", "historical inputs, comma-separated: exogenous columns of the file and/or derived features (mean_W, std_W, min_W, max_W, lag_K, ewma_A); default: every exogenous column of the file")
	fs.StringVar(&e.futr, "futr-exog", "", "future-known inputs, comma-separated: calendar features ("+strings.Join(features.CalendarNames(), ", ")+")")
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

// hyper returns the hyper-parameter fields the flags set, given the file's
// exogenous columns.
func (e *exogFlags) hyper(fileExog []string) (map[string]any, error) {
	var levels []float64
	for _, f := range splitList(e.levels) {
		var v float64
		if _, err := fmt.Sscan(f, &v); err != nil {
			return nil, fmt.Errorf("--level %q: %q is not a number: %w", e.levels, f, errUsage)
		}
		levels = append(levels, v)
	}
	lc, err := loss.ParseFlag(e.loss, levels)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, errUsage)
	}
	out := map[string]any{"loss": lc}
	hist := splitList(e.hist)
	if e.hist == "" {
		hist = fileExog
	}
	if len(hist) > 0 {
		out["hist_exog_list"] = hist
	}
	if futr := splitList(e.futr); len(futr) > 0 {
		out["futr_exog_list"] = futr
	}
	return out, nil
}

// parseTimes parses a series' ds column (the layouts the file reader
// accepts); nil when the file has no time stamps.
func parseTimes(ds []string) ([]time.Time, error) {
	if ds == nil {
		return nil, nil
	}
	layouts := []string{"2006-01-02 15:04:05", time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"}
	out := make([]time.Time, len(ds))
	for _, l := range layouts {
		ok := true
		for i, s := range ds {
			t, err := time.Parse(l, s)
			if err != nil {
				ok = false
				break
			}
			out[i] = t
		}
		if ok {
			return out, nil
		}
	}
	return nil, fmt.Errorf("ds values such as %q are not time stamps (calendar inputs need dates)", ds[0])
}

// exogSeries builds the training series of c from the file's series:
// each exogenous name is a column of the file when it has one, else a
// derived (historical) or calendar (future-known) feature computed with the
// same code as the stream.
func exogSeries(c model.Common, fd *ingest.FileData, series []ingest.FileSeries) ([]train.Series, error) {
	out := make([]train.Series, len(series))
	col := map[string]int{}
	for i, n := range fd.ExogNames {
		col[n] = i
	}
	for i, s := range series {
		ts := train.Series{Y: s.Y}
		var derivedHist, derivedFutr []string
		for _, n := range c.HistExog {
			if _, ok := col[n]; !ok {
				derivedHist = append(derivedHist, n)
			}
		}
		for _, n := range c.FutrExog {
			if _, ok := col[n]; ok {
				return nil, fmt.Errorf("future-known column %q: values for the horizon are not read from files yet; use it as --hist-exog or a calendar feature", n)
			}
			derivedFutr = append(derivedFutr, n)
		}
		var times []time.Time
		if len(derivedFutr) > 0 {
			var err error
			if times, err = parseTimes(s.DS); err != nil || times == nil {
				return nil, fmt.Errorf("series %q: calendar inputs %v need time stamps in ds: %v", s.ID, derivedFutr, err)
			}
		} else {
			times = make([]time.Time, len(s.Y)) // unused by derived features
		}
		hist, futr, err := features.SeriesInputs(derivedHist, derivedFutr, s.Y, times)
		if err != nil {
			return nil, fmt.Errorf("series %q: %w", s.ID, err)
		}
		k := 0
		for _, n := range c.HistExog {
			if j, ok := col[n]; ok {
				ts.Hist = append(ts.Hist, s.Exog[j])
			} else {
				ts.Hist = append(ts.Hist, hist[k])
				k++
			}
		}
		ts.Futr = futr
		out[i] = ts
	}
	return out, nil
}
