package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/ingest"
)

// BenchLoadMain implements `streamcast bench load`: the time ingest.Load
// takes to turn a long-format file into a Frame (parsing, grouping,
// frequency inference and the gap scan), as MB/s of file (MB = 10⁶ bytes).
// Without --file it first generates a realistic ~1 GB file of the format
// (ingest.Generate) in a temporary directory, deleted afterwards. The file
// is read once before timing so that it is in the page cache. With --json
// the last stdout line is {"format","bytes","mb_per_s",…}.
func BenchLoadMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench load", "Measure the speed of loading a long-format file.", stderr)
	var (
		format, file string
		size         int64
		series       int
		threads      int
		reps         int
		asJSON       bool
		uncompressed bool
	)
	fs.StringVar(&format, "format", "csv", "csv, parquet or jsonl")
	fs.BoolVar(&uncompressed, "parquet-uncompressed", false, "generate Parquet without compression (default snappy, pyarrow's default)")
	fs.StringVar(&file, "file", "", "file to load (default: generate one of --size bytes)")
	fs.Int64Var(&size, "size", 1_000_000_000, "bytes of the generated file")
	fs.IntVar(&series, "series", 1000, "series in the generated file")
	fs.IntVar(&threads, "threads", 0, "GOMAXPROCS (0 = all CPUs)")
	fs.IntVar(&reps, "reps", 1, "timed loads (the median is reported)")
	fs.BoolVar(&asJSON, "json", false, "print a JSON result as the last line")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if format != ingest.FormatCSV && format != ingest.FormatParquet && format != ingest.FormatJSONL {
		return fmt.Errorf("bench load: --format %q: want csv, parquet or jsonl: %w", format, errUsage)
	}
	if reps < 1 {
		return fmt.Errorf("bench load: --reps must be >= 1: %w", errUsage)
	}
	if threads > 0 {
		runtime.GOMAXPROCS(threads)
	}
	generated := file == ""
	var genRows int64
	if generated {
		dir, err := os.MkdirTemp("", "streamcast-bench-load-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		file = filepath.Join(dir, "bench."+format)
		fh, err := os.Create(file)
		if err != nil {
			return err
		}
		t0 := time.Now()
		genRows, err = ingest.Generate(fh, format, ingest.GenerateOptions{Series: series, Bytes: size, Seed: 1, Uncompressed: uncompressed})
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "bench load: generated %s (%d rows) in %.1f s\n", file, genRows, time.Since(t0).Seconds())
	}
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	if err := warmPageCache(file); err != nil {
		return err
	}
	opts := ingest.LoadOptions{Format: format}
	times := make([]float64, reps)
	cpus := make([]float64, reps)
	var f *ingest.Frame
	for r := range times {
		if err := ctx.Err(); err != nil {
			return err
		}
		f = nil
		runtime.GC()
		debug.FreeOSMemory()
		c0 := cpuSeconds()
		t0 := time.Now()
		f, _, err = ingest.Load(file, opts)
		if err != nil {
			return err
		}
		times[r] = time.Since(t0).Seconds()
		cpus[r] = cpuSeconds() - c0
	}
	sec := median(times)
	frameBytes := 16*f.Len() + 8*f.Len()*len(f.Exog)
	res := map[string]any{
		"format":      format,
		"bytes":       st.Size(),
		"mb_per_s":    float64(st.Size()) / 1e6 / sec,
		"seconds":     sec,
		"rows":        f.Len(),
		"series":      f.NumSeries(),
		"rows_per_s":  float64(f.Len()) / sec,
		"frame_mb":    float64(frameBytes) / 1e6,
		"peak_rss_mb": peakRSSMiB() * (1 << 20) / 1e6,
		"threads":     runtime.GOMAXPROCS(0),
		"generated":   generated,
		// CPU time of the load: on a shared machine MB per CPU-second
		// tells what the code costs, mb_per_s what this run got.
		"cpu_s":        median(cpus),
		"mb_per_cpu_s": float64(st.Size()) / 1e6 / median(cpus),
	}
	if generated && format == ingest.FormatParquet {
		res["compression"] = map[bool]string{false: "snappy", true: "none"}[uncompressed]
	}
	if !asJSON {
		fmt.Fprintf(stdout, "%s: %d bytes, %d rows in %.2f s: %.0f MB/s, %.2f M rows/s; frame %.0f MB, peak RSS %.0f MB, %d threads\n",
			format, st.Size(), f.Len(), sec, res["mb_per_s"], float64(f.Len())/sec/1e6, res["frame_mb"], res["peak_rss_mb"], runtime.GOMAXPROCS(0))
		return nil
	}
	return writeJSON(stdout, res)
}

// cpuSeconds is the process's user + system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// warmPageCache reads the file once so the timed load does not measure the
// disk.
func warmPageCache(path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	_, err = io.Copy(io.Discard, fh)
	return err
}

// BenchFeaturesMain implements `streamcast bench features`: rows per second
// of Frame.Features (features.Config.Matrix over every series, in
// parallel) with lag, rolling-window and calendar features — the default
// windows 24 and 168 and lags 1, 24, 168 (add the default EWMAs with
// --ewma) — on a synthetic hourly panel. With --json the last stdout line is
// {"rows_per_s",…}.
func BenchFeaturesMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench features", "Measure the offline feature-matrix speed.", stderr)
	var (
		series, rows int
		threads      int
		reps         int
		ewma         bool
		asJSON       bool
	)
	fs.IntVar(&series, "series", 1000, "series in the synthetic panel")
	fs.IntVar(&rows, "rows", 5000, "rows per series")
	fs.IntVar(&threads, "threads", 0, "worker goroutines and GOMAXPROCS (0 = all CPUs)")
	fs.IntVar(&reps, "reps", 3, "timed repetitions (the median is reported)")
	fs.BoolVar(&ewma, "ewma", false, "also compute the default EWMAs (O(History) per row once a series is longer than History)")
	fs.BoolVar(&asJSON, "json", false, "print a JSON result as the last line")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if series < 1 || rows < 1 || reps < 1 {
		return fmt.Errorf("bench features: --series, --rows and --reps must be >= 1: %w", errUsage)
	}
	if threads > 0 {
		runtime.GOMAXPROCS(threads)
	}
	cfg := features.DefaultConfig()
	if !ewma {
		cfg.EWMAAlphas = nil
	}
	f := syntheticFrame(series, rows)
	dst := make([]float64, f.Len()*cfg.NumFeatures())
	if _, err := f.Features(cfg, threads, dst); err != nil { // warm-up
		return err
	}
	rates := make([]float64, reps)
	for r := range rates {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		if _, err := f.Features(cfg, threads, dst); err != nil {
			return err
		}
		rates[r] = float64(f.Len()) / time.Since(t0).Seconds()
	}
	res := map[string]any{
		"rows_per_s": median(rates),
		"rows":       f.Len(),
		"features":   cfg.NumFeatures(),
		"threads":    runtime.GOMAXPROCS(0),
		"ewma":       ewma,
		"reps":       rates,
	}
	if !asJSON {
		fmt.Fprintf(stdout, "features: %.2f M rows/s (%d rows × %d features), %d threads\n",
			median(rates)/1e6, f.Len(), cfg.NumFeatures(), runtime.GOMAXPROCS(0))
		return nil
	}
	return writeJSON(stdout, res)
}

// syntheticFrame is an hourly panel of noisy daily cycles.
func syntheticFrame(series, rows int) *ingest.Frame {
	f := &ingest.Frame{TimeKind: ingest.TimeStamp, Source: "synthetic",
		Time: make([]int64, 0, series*rows), Y: make([]float64, 0, series*rows)}
	start := int64(1577836800000)
	for s := range series {
		f.IDs = append(f.IDs, fmt.Sprintf("s%d", s))
		f.Offsets = append(f.Offsets, len(f.Time))
		y := synthetic(rows, uint64(s))
		for k := range rows {
			f.Time = append(f.Time, start+int64(k)*3_600_000)
			f.Y = append(f.Y, 100+10*y[k]+math.Sqrt(float64(s)))
		}
	}
	f.Offsets = append(f.Offsets, len(f.Time))
	return f
}
