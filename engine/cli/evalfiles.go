package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/streamcast/streamcast/ingest"
)

// evalFlags are the flags of `streamcast eval` in file mode.
type evalFlags struct {
	forecasts, actuals, train string
	fFormat, aFormat, tFormat string
	load                      ingest.LoadOptions
	season                    int
	models, output            string
	perSeries                 bool
}

// runEvalFiles implements `streamcast eval --forecasts F --actuals F`:
// forecasts (long format: unique_id, ds and one column per model, with
// NeuralForecast's interval and quantile columns MODEL-lo-80, MODEL-hi-80,
// MODEL-median, MODEL-q-0.1) are joined with the actuals on (unique_id, ds)
// and scored per series and overall: MAE, MSE, RMSE, MAPE, sMAPE, MASE and
// OWA against Naive2 (both from the in-sample history: --train, or the
// actuals before each series' first forecast), and CRPS, scaled CRPS and
// interval coverage for quantile forecasts. Overall values are means over
// series (OWA from the mean sMAPE and MASE, as in M4). A forecast without
// an actual is an error. Output: one JSON object, or CSV with --output csv.
func runEvalFiles(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var ef evalFlags
	ef.register(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	return ef.run(stdout)
}

// register defines the file-mode flags on fs.
func (ef *evalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&ef.forecasts, "forecasts", "", "forecasts file: unique_id, ds, one column per model (+ MODEL-lo-L/-hi-L/-median/-q-TAU)")
	fs.StringVar(&ef.actuals, "actuals", "", "actuals file: unique_id, ds, y; rows before a series' first forecast are its history unless --train is given")
	fs.StringVar(&ef.train, "train", "", "in-sample history for MASE and Naive2 (optional)")
	fs.StringVar(&ef.fFormat, "forecasts-format", ingest.FormatAuto, "format of --forecasts (auto, csv, parquet, jsonl, m4)")
	fs.StringVar(&ef.aFormat, "actuals-format", ingest.FormatAuto, "format of --actuals (auto, csv, parquet, jsonl, m4, wide)")
	fs.StringVar(&ef.tFormat, "train-format", ingest.FormatAuto, "format of --train (auto, csv, parquet, jsonl, m4, wide)")
	fs.StringVar(&ef.load.IDCol, "id-col", "unique_id", "series id column")
	fs.StringVar(&ef.load.TimeCol, "time-col", "ds", "time column")
	fs.StringVar(&ef.load.TargetCol, "target-col", "y", "target column of the actuals")
	fs.StringVar(&ef.load.Freq, "freq", "", "frequency of the series (empty = infer)")
	fs.IntVar(&ef.season, "season", 0, "seasonal period m of MASE and Naive2 (0 = from the frequency: 1h→24, 30min→48, 15min→96, 1d→7, 7d→52, monthly→12, quarterly→4, else 1)")
	fs.StringVar(&ef.models, "models", "", "comma-separated models to score (default: every model column)")
	fs.StringVar(&ef.output, "output", "json", "file mode output: json or csv")
	fs.BoolVar(&ef.perSeries, "per-series", true, "include every series' scores, not only the overall ones")
}

// run scores the files named by the flags and writes the report.
func (ef *evalFlags) run(stdout io.Writer) error {
	if ef.forecasts == "" || ef.actuals == "" {
		return fmt.Errorf("eval: --forecasts and --actuals are required: %w", errUsage)
	}
	if ef.output != "json" && ef.output != "csv" {
		return fmt.Errorf("eval: --output %q: want json or csv: %w", ef.output, errUsage)
	}
	rep, err := evalFiles(ef)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	if ef.output == "csv" {
		rep.writeCSV(w, ef.perSeries)
	} else {
		if !ef.perSeries {
			for i := range rep.Models {
				rep.Models[i].Series = nil
			}
		}
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	return w.Flush()
}

// score is one set of metrics; NaN values are written as JSON null.
type score map[string]float64

func (s score) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, k)
		b = append(b, ':')
		if v := s[k]; math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
		} else {
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		}
	}
	return append(b, '}'), nil
}

type seriesScore struct {
	ID string `json:"unique_id"`
	score
}

func (s seriesScore) MarshalJSON() ([]byte, error) {
	sc := score{}
	for k, v := range s.score {
		sc[k] = v
	}
	b, _ := sc.MarshalJSON()
	id, _ := json.Marshal(s.ID)
	if len(b) == 2 {
		return []byte(`{"unique_id":` + string(id) + `}`), nil
	}
	return []byte(`{"unique_id":` + string(id) + "," + string(b[1:])), nil
}

type modelReport struct {
	Model   string        `json:"model"`
	Overall score         `json:"overall"`
	Series  []seriesScore `json:"series,omitempty"`
}

type evalReport struct {
	Season int           `json:"season"`
	Series int           `json:"series"`
	Points int           `json:"points"`
	Naive2 score         `json:"naive2"`
	Models []modelReport `json:"models"`
}

// modelCols locates one model's columns in the forecast frame.
type modelCols struct {
	name   string
	point  int       // exogenous column of the point forecast (-1: none)
	taus   []float64 // quantile levels, ascending
	qcols  []int
	levels []float64 // interval levels with both ends
	lo, hi []int
}

var (
	reInterval = regexp.MustCompile(`^(.+)-(lo|hi)-([0-9]+(?:\.[0-9]+)?)$`)
	reQuantile = regexp.MustCompile(`^(.+?)(?:-q-|_ql)(0?\.[0-9]+)$`)
)

// modelColumns groups the forecast columns by model.
func modelColumns(names []string) ([]*modelCols, error) {
	byName := map[string]*modelCols{}
	var order []*modelCols
	get := func(n string) *modelCols {
		m := byName[n]
		if m == nil {
			m = &modelCols{name: n, point: -1}
			byName[n] = m
			order = append(order, m)
		}
		return m
	}
	type qc struct {
		tau float64
		col int
	}
	quant := map[*modelCols][]qc{}
	lo := map[*modelCols]map[float64]int{}
	hi := map[*modelCols]map[float64]int{}
	for j, n := range names {
		if g := reInterval.FindStringSubmatch(n); g != nil {
			lvl, _ := strconv.ParseFloat(g[3], 64)
			if !(lvl > 0 && lvl < 100) {
				return nil, fmt.Errorf("eval: column %s: level %v outside (0, 100)", n, lvl)
			}
			m := get(g[1])
			side := lo
			tau := 0.5 - lvl/200
			if g[2] == "hi" {
				side, tau = hi, 0.5+lvl/200
			}
			if side[m] == nil {
				side[m] = map[float64]int{}
			}
			side[m][lvl] = j
			quant[m] = append(quant[m], qc{tau, j})
			continue
		}
		if base, ok := strings.CutSuffix(n, "-median"); ok {
			m := get(base)
			quant[m] = append(quant[m], qc{0.5, j})
			continue
		}
		if g := reQuantile.FindStringSubmatch(n); g != nil {
			tau, _ := strconv.ParseFloat(g[2], 64)
			if !(tau > 0 && tau < 1) {
				return nil, fmt.Errorf("eval: column %s: quantile %v outside (0, 1)", n, tau)
			}
			m := get(g[1])
			quant[m] = append(quant[m], qc{tau, j})
			continue
		}
		get(n).point = j
	}
	for _, m := range order {
		q := quant[m]
		sort.Slice(q, func(a, b int) bool { return q[a].tau < q[b].tau })
		for i, c := range q {
			if i > 0 && c.tau == q[i-1].tau {
				return nil, fmt.Errorf("eval: model %s has two columns for quantile %v", m.name, c.tau)
			}
			m.taus = append(m.taus, c.tau)
			m.qcols = append(m.qcols, c.col)
		}
		var lvls []float64
		for l := range lo[m] {
			if _, ok := hi[m][l]; ok {
				lvls = append(lvls, l)
			}
		}
		slices.Sort(lvls)
		for _, l := range lvls {
			m.levels = append(m.levels, l)
			m.lo = append(m.lo, lo[m][l])
			m.hi = append(m.hi, hi[m][l])
		}
		if m.point < 0 {
			if i := slices.Index(m.taus, 0.5); i >= 0 {
				m.point = m.qcols[i] // the median is the point forecast
			} else {
				return nil, fmt.Errorf("eval: model %s has quantile columns but neither a point nor a median column", m.name)
			}
		}
	}
	return order, nil
}

var errEval = errors.New("eval")

func (ef *evalFlags) loadFrame(path, format string, train *ingest.Frame, needY bool) (*ingest.Frame, error) {
	if format == ingest.FormatM4 && train != nil {
		fh, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		f, err := ingest.ReadM4After(fh, path, train)
		if err != nil || needY {
			return f, err
		}
		// An M4 submission holds one model's forecasts: name it after the file.
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		f.ExogNames, f.Exog, f.Y = []string{name}, [][]float64{f.Y}, nil
		return f, nil
	}
	opts := ef.load
	opts.Format = format
	if !needY {
		// cross-validation output (streamcast cv, NeuralForecast) also
		// carries the cutoff and the actual target
		opts.Ignore = []string{"cutoff", "index", targetName(opts.TargetCol)}
		if format == ingest.FormatM4 {
			return nil, fmt.Errorf("eval: %s: M4-format forecasts continue the series of --train, give --train (in M4 format)", path)
		}
		f, _, err := ingest.LoadFutr(path, opts)
		return f, err
	}
	f, _, err := ingest.Load(path, opts)
	return f, err
}
