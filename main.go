// Command streamcast is a streaming, real-time forecasting service and CLI.
//
// main only wires sub-commands to the packages that implement them; each
// sub-command parses its own flags (with STREAMCAST_* environment
// equivalents) and fails at start-up on invalid configuration.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/streamcast/streamcast/engine/cli"
	"github.com/streamcast/streamcast/pipeline"
	"github.com/streamcast/streamcast/pipeline/lifecycle"
)

// command is one sub-command of the binary.
type command struct {
	name     string
	synopsis string
	run      func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"demo", "run the whole pipeline on an embedded Kafka (kfake) and Redis (miniredis) with a bundled dataset", pipeline.DemoMain},
	{"run", "run the streaming pipeline against real Kafka and Redis", pipeline.RunMain},
	{"backfill", "load a history file into the Redis feature state so a new deployment forecasts from its first event", pipeline.BackfillMain},
	{"train", "train a model from a file and save it", cli.TrainMain},
	{"predict", "load a saved model and forecast series from a file", cli.PredictMain},
	{"cv", "rolling-origin cross-validation of a model kind on a file (NeuralForecast's cross_validation)", cli.CVMain},
	{"eval", "score a model kind on a reference benchmark (etth1, m4-hourly) under its published protocol", cli.EvalMain},
	{"plot", "plot a series' history, a forecast with prediction intervals and actuals to a PNG", cli.PlotMain},
	{"model", "model registry: model list | show | promote | rollback | push", pipeline.ModelMain},
	{"bench", "benchmarks: bench pipeline | train | predict | load | features", benchMain},
}

var benchCommands = []command{
	{"pipeline", "end-to-end pipeline throughput and latency", pipeline.BenchMain},
	{"train", "model training speed", cli.BenchTrainMain},
	{"predict", "model prediction latency and throughput", cli.BenchPredictMain},
	{"load", "data file loading speed (csv, parquet, jsonl)", cli.BenchLoadMain},
	{"features", "offline feature-matrix speed", cli.BenchFeaturesMain},
}

func main() {
	lifecycle.MaybeServeWorker() // background training worker (run --train-isolation process)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(exitCode(dispatch(ctx, commands, os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// exitCode reports err on stderr and maps it to the exit code scripts
// can trust (cli.ExitCode): 0 ok, 1 other failure, 2 usage (bad flags,
// unknown command or model kind), 3 bad input data.
func exitCode(err error, stderr io.Writer) int {
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stderr, "streamcast:", err)
	}
	return cli.ExitCode(err)
}

func benchMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, benchCommands, args, stdout, stderr)
}

func dispatch(ctx context.Context, cmds []command, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return cli.UsageError(errors.New("missing sub-command"))
		}
		return flag.ErrHelp
	}
	for _, c := range cmds {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	usage(stderr, cmds)
	return cli.UsageError(fmt.Errorf("unknown sub-command %q", args[0]))
}

func usage(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "usage: streamcast <command> [flags]   (each command has -h)")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.synopsis)
	}
}
