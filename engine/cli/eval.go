package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/streamcast/streamcast/engine/evaluate"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/train"
)

// benchmarkFlags select a published benchmark run (eval --benchmark).
type benchmarkFlags struct {
	benchmark, dataDir, kind, hyper string
	h, inputSize, steps, threads    int
	batchSize, windowsBatchSize     int
	seed                            uint64
	asJSON, quiet                   bool
}

func (b *benchmarkFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.benchmark, "benchmark", "", "published protocol to run: "+strings.Join(evaluate.Benchmarks(), ", "))
	fs.StringVar(&b.dataDir, "data-dir", "../shared/data", "reference data folder (holding etth1/ and m4-hourly/, or the benchmark's own folder)")
	fs.StringVar(&b.kind, "model", "", "model kind to train and score ("+strings.Join(model.Kinds(), ", ")+")")
	fs.IntVar(&b.h, "h", 0, "horizon (0 = the benchmark's: etth1 96, m4-hourly 48)")
	fs.IntVar(&b.inputSize, "input-size", 0, "input window (0 = the benchmark's default: etth1 336, m4-hourly 96)")
	fs.IntVar(&b.steps, "steps", 0, "training steps (0 = the model kind's max_steps default)")
	fs.IntVar(&b.batchSize, "batch-size", 0, "series per training step (0 = the model kind's batch_size default)")
	fs.IntVar(&b.windowsBatchSize, "windows-batch-size", 0, "windows sampled per training step (0 = the model kind's windows_batch_size default)")
	fs.Uint64Var(&b.seed, "seed", 1, "random seed (weight init, window sampling, dropout)")
	fs.StringVar(&b.hyper, "hyper", "", "extra hyper-parameters as a JSON object, e.g. {\"scaler_type\":\"standard\"}")
	fs.IntVar(&b.threads, "threads", 0, "GOMAXPROCS (0 = all CPUs)")
	fs.BoolVar(&b.asJSON, "json", false, "print the result as one JSON line")
	fs.BoolVar(&b.quiet, "quiet", false, "no training progress on stderr")
}

// EvalMain implements `streamcast eval`. With --benchmark it trains a model
// kind on a reference dataset under its published protocol and scores the
// test period (engine/evaluate). The mode is chosen from the flags given,
// so further modes add a flag group and a case.
func EvalMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", "Score forecasts: --benchmark trains a model kind on a reference dataset under its published protocol and prints its test scores;\n"+
		"--forecasts F --actuals F scores a forecast file against actuals (per series and overall).", stderr)
	var bf benchmarkFlags
	bf.register(fs)
	var ef evalFlags
	ef.register(fs)
	set, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case set["benchmark"]:
		return runEvalBenchmark(ctx, &bf, stdout, stderr)
	case set["forecasts"] || set["actuals"]:
		return ef.run(stdout)
	}
	fs.Usage()
	return fmt.Errorf("eval: --benchmark or --forecasts/--actuals is required: %w", errUsage)
}

func runEvalBenchmark(ctx context.Context, bf *benchmarkFlags, stdout, stderr io.Writer) error {
	if bf.kind == "" {
		return fmt.Errorf("eval: --model is required (%s): %w", strings.Join(model.Kinds(), ", "), errUsage)
	}
	if bf.h < 0 || bf.inputSize < 0 || bf.steps < 0 || bf.batchSize < 0 || bf.windowsBatchSize < 0 {
		return fmt.Errorf("eval: --h, --input-size, --steps, --batch-size and --windows-batch-size must be >= 0: %w", errUsage)
	}
	if bf.hyper != "" && !json.Valid([]byte(bf.hyper)) {
		return fmt.Errorf("eval: --hyper is not valid JSON: %w", errUsage)
	}
	if bf.threads > 0 {
		runtime.GOMAXPROCS(bf.threads)
	}
	o := evaluate.Options{Kind: bf.kind, H: bf.h, InputSize: bf.inputSize, Steps: bf.steps, Seed: bf.seed}
	if bf.hyper != "" {
		o.Hyper = []byte(bf.hyper)
	}
	if bf.batchSize > 0 || bf.windowsBatchSize > 0 {
		o.Train = func(c *train.Config) {
			if bf.batchSize > 0 {
				c.BatchSize = bf.batchSize
			}
			if bf.windowsBatchSize > 0 {
				c.WindowsBatchSize = bf.windowsBatchSize
			}
		}
	}
	if !bf.quiet {
		o.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	res, err := evaluate.Run(ctx, bf.benchmark, bf.dataDir, o)
	if err != nil {
		return err
	}
	if bf.asJSON {
		return writeJSON(stdout, res)
	}
	return writeEvalTable(stdout, res)
}

func writeEvalTable(w io.Writer, r evaluate.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if r.Benchmark == evaluate.M4Hourly {
		fmt.Fprintln(tw, "benchmark\tmodel\th\tinput\tseed\tsteps\ttrain_s\tseries\tsMAPE\tMASE\tOWA\tNaive2 sMAPE\tNaive2 MASE")
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%.1f\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\n", r.Benchmark, r.Model, r.H, r.InputSize,
			r.Seed, r.Steps, r.TrainTime.Seconds(), r.Series, r.SMAPE, r.MASE, r.OWA, r.Naive2SMAPE, r.Naive2MASE)
	} else {
		fmt.Fprintln(tw, "benchmark\tmodel\th\tinput\tseed\tsteps\ttrain_s\tseries\twindows\tMSE\tMAE")
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%.1f\t%d\t%d\t%.4f\t%.4f\n", r.Benchmark, r.Model, r.H, r.InputSize,
			r.Seed, r.Steps, r.TrainTime.Seconds(), r.Series, r.Windows, r.MSE, r.MAE)
	}
	return tw.Flush()
}
