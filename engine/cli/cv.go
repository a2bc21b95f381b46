package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/train"
)

// cvWindows returns the number of values before each window's forecast
// origin for a series of n values: NeuralForecast's cross_validation puts
// the last of k windows of h steps at the series end and the others step
// values apart, so window w (0-based, oldest first) forecasts values
// [e_w, e_w+h) with e_w = n − h − (k−1−w)·step, its cutoff being value
// e_w − 1. An error when the first window leaves no history.
func cvWindows(n, h, k, step int) ([]int, error) {
	out := make([]int, k)
	for w := range k {
		out[w] = n - h - (k-1-w)*step
	}
	if out[0] < 1 {
		return nil, fmt.Errorf("%d windows of h=%d stepping %d need more than %d values: %w", k, h, step, h+(k-1)*step, errData)
	}
	return out, nil
}

// sliceSeries returns the first n steps of s (views).
func sliceSeries(s train.Series, n int) train.Series {
	out := train.Series{Y: s.Y[:n], Stat: s.Stat}
	for _, v := range s.Hist {
		out.Hist = append(out.Hist, v[:n])
	}
	for _, v := range s.Futr {
		out.Futr = append(out.Futr, v[:n])
	}
	return out
}

// CVMain implements `streamcast cv`: rolling-origin cross-validation as
// NeuralForecast's cross_validation. The last --n-windows windows of h
// steps, --step-size apart, the last ending at each series' end, are
// forecast from their cutoffs. --refit 0 trains once on the values before
// the first window; --refit N trains again on the values before every
// N-th window (a fresh model, or with --warm-start the current weights
// for another --max-steps). Output rows: unique_id, ds, cutoff, y, MODEL
// and its quantile columns.
func CVMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("cv", "Cross-validate a model kind on a series file (rolling origin).", stderr)
	var (
		data           dataFlags
		mf             modelFlags
		ef             exogFlags
		out            string
		nWindows, step int
		refit, threads int
		warm, quiet    bool
	)
	cfg := train.DefaultConfig()
	data.register(fs)
	mf.register(fs)
	ef.register(fs)
	trainFlagsStride(fs, &cfg, "train-step-size")
	fs.IntVar(&nWindows, "n-windows", 1, "number of cross-validation windows")
	fs.IntVar(&step, "step-size", 1, "values between consecutive cutoffs")
	fs.IntVar(&refit, "refit", 0, "train again every this many windows (0 = train once, before the first window)")
	fs.BoolVar(&warm, "warm-start", false, "refit by continuing the current weights (another --max-steps on the longer data) instead of a fresh model")
	fs.StringVar(&out, "out", "", "output file (.csv, .parquet or .jsonl) (required)")
	fs.IntVar(&threads, "threads", 0, "GOMAXPROCS (0 = all CPUs)")
	fs.BoolVar(&quiet, "quiet", false, "no progress output")
	set, err := parse(fs, args)
	if err != nil {
		return err
	}
	if out == "" {
		return fmt.Errorf("cv: --out is required: %w", errUsage)
	}
	if _, err := outFormat(out); err != nil {
		return err
	}
	if nWindows < 1 || step < 1 || refit < 0 {
		return fmt.Errorf("cv: --n-windows and --step-size must be >= 1 and --refit >= 0: %w", errUsage)
	}
	cfg.Seed = mf.seed
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %w", err, errUsage)
	}
	if threads > 0 {
		runtime.GOMAXPROCS(threads)
	}
	ds, err := data.loadData()
	if err != nil {
		return err
	}
	m, err := buildModel(&mf, &ef, set, ds)
	if err != nil {
		return err
	}
	applyKindDefaults(&cfg, m, set, "train-step-size")
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %w", err, errUsage)
	}
	c := m.Common()
	H := c.H
	full, err := exogSeries(c, ds)
	if err != nil {
		return err
	}
	ends := make([][]int, len(full))
	for i, s := range full {
		if ends[i], err = cvWindows(len(s.Y), H, nWindows, step); err != nil {
			return fmt.Errorf("series %q: %w", ds.series[i].ID, err)
		}
	}
	var prog *progress
	if !quiet {
		prog = newProgress(stderr, cfg.MaxSteps)
		cfg.Logger = prog.logger()
	}
	p := model.NewPredictor(m)
	qs := p.Quantiles()
	qcols, qidx, err := quantileCols(m.Kind(), qs, nil)
	if err != nil {
		return err
	}
	tab := newForecastTable(ds.f.TimeKind, append([]string{"cutoff", targetName(data.load.TargetCol), m.Kind()}, qcols...))
	type fitInfo struct {
		Window    int     `json:"window"`
		Steps     int     `json:"steps"`
		TrainLoss float64 `json:"train_loss"`
	}
	var fits []fitInfo
	B := len(full)
	points := make([][]float32, nWindows) // per window, B×H
	quants := make([][]float32, nWindows) // per window, B×H×len(qs)
	for w := range nWindows {
		points[w] = make([]float32, B*H)
		if len(qs) > 0 {
			quants[w] = make([]float32, B*H*len(qs))
		}
		if w == 0 || (refit > 0 && w%refit == 0) {
			if w > 0 && !warm {
				if m, err = buildModel(&mf, &ef, set, ds); err != nil {
					return err
				}
				p = model.NewPredictor(m)
			}
			part := make([]train.Series, B)
			for i, s := range full {
				part[i] = sliceSeries(s, ends[i][w])
			}
			if prog != nil {
				prog.reset(fmt.Sprintf("window %d/%d ", w+1, nWindows), cfg.MaxSteps)
			}
			res, err := train.FitSeries(ctx, m, part, cfg)
			if prog != nil {
				prog.done()
			}
			if err != nil {
				return fmt.Errorf("cv: window %d: %w", w+1, err)
			}
			fits = append(fits, fitInfo{Window: w + 1, Steps: res.Steps, TrainLoss: res.TrainLoss})
		}
		ws := make([]window, B)
		for i, s := range full {
			e := ends[i][w]
			ws[i].s = sliceSeries(s, e)
			for _, v := range s.Futr {
				ws[i].futr = append(ws[i].futr, v[e:e+H])
			}
		}
		if err := p.PredictBatch(points[w], quants[w], buildBatch(c, ws)); err != nil {
			return err
		}
	}
	// rows by series, then cutoff, then ds
	for i, s := range ds.series {
		for w := range nWindows {
			e := ends[i][w]
			point, q := points[w], quants[w]
			cutoff := float64(s.Time[e-1])
			tab.add(s.ID, s.Time[e:e+H], func(r, j int) float64 {
				switch j {
				case 0:
					return cutoff
				case 1:
					return s.Y[e+r]
				case 2:
					return float64(point[i*H+r])
				}
				return float64(q[(i*H+r)*len(qs)+qidx[j-3]])
			})
		}
	}
	if err := tab.write(out, data.load, "cutoff"); err != nil {
		return err
	}
	b, err := json.Marshal(map[string]any{"model": m.Kind(), "series": B, "windows": nWindows, "h": H, "step_size": step, "refit": refit, "fits": fits, "out": out})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(b))
	return nil
}

func targetName(s string) string {
	if s == "" {
		return "y"
	}
	return s
}
