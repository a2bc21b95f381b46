package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/tensor"
	"github.com/streamcast/streamcast/engine/train"
)

// synthetic returns a seeded noisy daily cycle, the benchmark's data.
func synthetic(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0xbe))
	s := make([]float64, n)
	for i := range s {
		s[i] = math.Sin(2*math.Pi*float64(i)/24) + 0.1*rng.NormFloat64()
	}
	return s
}

func peakRSSMiB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Maxrss) / 1024 // Linux: KiB
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile returns the q-quantile of sorted values (nearest rank, like
// the PyTorch peer's script).
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	k := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(len(sorted)-1, k))]
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// BenchTrainMain implements `streamcast bench train`: the real training
// step (window sampling, forward, masked MAE, backward, Adam) on batches of
// --batch-size windows of a synthetic series, like the PyTorch peer's
// batches of 32 windows. The last stdout line with --json is
// {"model","steps_per_s","params","peak_rss_mb",…}.
func BenchTrainMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench train", "Measure training steps per second.", stderr)
	var (
		mf           modelFlags
		batch, steps int
		warmup, reps int
		threads      int
		asJSON       bool
		cpuProfile   string
	)
	mf.register(fs)
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the timed steps to this file (pprof)")
	fs.IntVar(&batch, "batch-size", 32, "windows per training step")
	fs.IntVar(&steps, "steps", 200, "timed steps per repetition")
	fs.IntVar(&warmup, "warmup", 20, "untimed warm-up steps")
	fs.IntVar(&reps, "reps", 3, "repetitions (the median is reported)")
	fs.IntVar(&threads, "threads", 0, "GOMAXPROCS (0 = all CPUs)")
	fs.BoolVar(&asJSON, "json", false, "print a JSON result as the last line")
	set, err := parse(fs, args)
	if err != nil {
		return err
	}
	if batch < 1 || steps < 1 || warmup < 0 || reps < 1 {
		return fmt.Errorf("bench train: --batch-size, --steps, --reps must be >= 1: %w", errUsage)
	}
	if threads > 0 {
		runtime.GOMAXPROCS(threads)
	}
	m, err := mf.build(set)
	if err != nil {
		return err
	}
	c := m.Common()
	cfg := train.DefaultConfig()
	cfg.BatchSize = 1
	cfg.WindowsBatchSize = batch
	cfg.MaxSteps = warmup + reps*steps
	cfg.Seed = mf.seed
	tr, err := train.NewTrainer(m, [][]float64{synthetic(max(4000, 4*(c.InputSize+c.H)), mf.seed)}, cfg)
	if err != nil {
		return err
	}
	defer tr.Close()
	for range warmup {
		tr.Step()
	}
	rates := make([]float64, reps)
	var loss float64
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for r := range rates {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		for range steps {
			loss = tr.Step()
		}
		rates[r] = float64(steps) / time.Since(start).Seconds()
	}
	res := map[string]any{
		"model":       m.Kind(),
		"steps_per_s": median(rates),
		"ms_per_step": 1000 / median(rates),
		"params":      model.NumParams(m),
		"peak_rss_mb": peakRSSMiB(),
		"last_loss":   loss,
		"threads":     runtime.GOMAXPROCS(0),
		"backend":     tensor.Backend,
		"blas":        tensor.BackendInfo(),
		"windows":     batch,
		"reps":        rates,
	}
	if !asJSON {
		fmt.Fprintf(stdout, "%s: %.1f steps/s (%.2f ms/step), %d params, peak RSS %.1f MiB, %s, %d threads\n",
			m.Kind(), median(rates), 1000/median(rates), model.NumParams(m), peakRSSMiB(), tensor.BackendInfo(), runtime.GOMAXPROCS(0))
		return nil
	}
	return writeJSON(stdout, res)
}

// BenchPredictMain implements `streamcast bench predict`: single-series
// no-grad forecasts timed one by one (p50, p99) and the throughput of a
// forecast over 100 series. With --json the last stdout line is
// {"latency_us":{"p50","p99"},"batch100_series_per_s",…}.
func BenchPredictMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench predict", "Measure prediction latency and throughput.", stderr)
	var (
		mf           modelFlags
		calls, warm  int
		batchSeconds float64
		threads      int
		asJSON       bool
	)
	mf.register(fs)
	fs.IntVar(&calls, "calls", 2000, "timed single-series calls")
	fs.IntVar(&warm, "warmup", 100, "untimed warm-up calls")
	fs.Float64Var(&batchSeconds, "batch-seconds", 2, "minimum time spent timing the 100-series batch (and at least 10 calls)")
	fs.IntVar(&threads, "threads", 0, "GOMAXPROCS (0 = all CPUs)")
	fs.BoolVar(&asJSON, "json", false, "print a JSON result as the last line")
	set, err := parse(fs, args)
	if err != nil {
		return err
	}
	if calls < 1 || warm < 0 || !(batchSeconds >= 0) {
		return fmt.Errorf("bench predict: --calls must be >= 1: %w", errUsage)
	}
	if threads > 0 {
		runtime.GOMAXPROCS(threads)
	}
	m, err := mf.build(set)
	if err != nil {
		return err
	}
	c := m.Common()
	p := model.NewPredictor(m)
	series := synthetic(c.InputSize*101, mf.seed)
	one := [][]float64{series[:c.InputSize]}
	dst := make([]float64, c.H)
	for range warm {
		if err := p.Predict(dst, one); err != nil {
			return err
		}
	}
	lat := make([]float64, calls)
	for i := range lat {
		t0 := time.Now()
		_ = p.Predict(dst, one)
		lat[i] = float64(time.Since(t0).Nanoseconds()) / 1e3
	}
	slices.Sort(lat)
	hist := make([][]float64, 100)
	for i := range hist {
		hist[i] = series[i*c.InputSize : (i+1)*c.InputSize]
	}
	dst100 := make([]float64, 100*c.H)
	for range 3 {
		_ = p.Predict(dst100, hist)
	}
	var times []float64
	begin := time.Now()
	for len(times) < 10 || time.Since(begin).Seconds() < batchSeconds {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		_ = p.Predict(dst100, hist)
		times = append(times, time.Since(t0).Seconds())
	}
	tput := 100 / median(times)
	res := map[string]any{
		"model":                 m.Kind(),
		"latency_us":            map[string]float64{"p50": percentile(lat, 0.5), "p99": percentile(lat, 0.99)},
		"batch100_series_per_s": tput,
		"params":                model.NumParams(m),
		"threads":               runtime.GOMAXPROCS(0),
		"backend":               tensor.Backend,
		"blas":                  tensor.BackendInfo(),
	}
	if !asJSON {
		fmt.Fprintf(stdout, "%s: latency p50 %.1f us, p99 %.1f us; batch-100 %.0f series/s; %s, %d threads\n",
			m.Kind(), percentile(lat, 0.5), percentile(lat, 0.99), tput, tensor.Backend, runtime.GOMAXPROCS(0))
		return nil
	}
	return writeJSON(stdout, res)
}
