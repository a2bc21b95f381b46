package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/train"
)

func writeLong(t *testing.T, dir string) string {
	var b strings.Builder
	b.WriteString("unique_id,ds,y\n")
	for _, id := range []string{"a", "b"} {
		for i := 0; i < 120; i++ {
			fmt.Fprintf(&b, "%s,%d,%g\n", id, i, math.Sin(float64(i)/4))
		}
	}
	p := filepath.Join(dir, "long.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, f func(context.Context, []string, *bytes.Buffer, *bytes.Buffer) error, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := f(context.Background(), args, &out, &errb)
	return out.String(), err
}

func trainCmd(ctx context.Context, a []string, o, e *bytes.Buffer) error {
	return TrainMain(ctx, a, o, e)
}
func predictCmd(ctx context.Context, a []string, o, e *bytes.Buffer) error {
	return PredictMain(ctx, a, o, e)
}

func TestTrainPredictRoundTrip(t *testing.T) {
	dir := t.TempDir()
	data := writeLong(t, dir)
	mfile := filepath.Join(dir, "m.scm")
	out, err := run(t, trainCmd, "--data", data, "--input-size", "12", "--h", "4", "--hidden-size", "16",
		"--max-steps", "30", "--windows-batch-size", "16", "--val-size", "8", "--val-check-steps", "10", "--out", mfile, "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum["steps"] != 30.0 {
		t.Fatalf("train output %q: %v", out, err)
	}
	out, err = run(t, predictCmd, "--model-file", mfile, "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	var pred struct {
		Model, Version string
		H              int
		Series         []struct {
			ID       string    `json:"unique_id"`
			Forecast []float64 `json:"forecast"`
		}
	}
	if err := json.Unmarshal([]byte(out), &pred); err != nil {
		t.Fatalf("predict output %q: %v", out, err)
	}
	if pred.Model != "mlp" || pred.H != 4 || len(pred.Series) != 2 || pred.Series[1].ID != "b" || len(pred.Series[1].Forecast) != 4 {
		t.Fatalf("prediction %+v", pred)
	}
	fcsv := filepath.Join(dir, "f.csv")
	if _, err := run(t, predictCmd, "--model-file", mfile, "--data", data, "--out", fcsv, "--rows", ":100"); err != nil {
		t.Fatal(err)
	}
	csv, _ := os.ReadFile(fcsv)
	if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); len(lines) != 9 || lines[0] != "unique_id,ds,mlp" || !strings.HasPrefix(lines[1], "a,100,") || !strings.HasPrefix(lines[8], "b,103,") {
		t.Fatalf("csv %q", csv)
	}
	// continued training from the saved file
	out, err = run(t, trainCmd, "--data", data, "--init-from", mfile, "--max-steps", "5", "--windows-batch-size", "8", "--out", mfile, "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum["trained_steps"] != 35.0 {
		t.Fatalf("continued train output %q: %v", out, err)
	}
}

func TestFlagErrors(t *testing.T) {
	dir := t.TempDir()
	data := writeLong(t, dir)
	cases := []struct {
		name string
		f    func(context.Context, []string, *bytes.Buffer, *bytes.Buffer) error
		args []string
	}{
		{"unknown flag", trainCmd, []string{"--nope"}},
		{"no out", trainCmd, []string{"--data", data}},
		{"no data", trainCmd, []string{"--out", filepath.Join(dir, "x")}},
		{"bad steps", trainCmd, []string{"--data", data, "--out", filepath.Join(dir, "x"), "--max-steps", "-1"}},
		{"unknown model", trainCmd, []string{"--data", data, "--out", filepath.Join(dir, "x"), "--model", "zzz"}},
		{"bad rows", trainCmd, []string{"--data", data, "--out", filepath.Join(dir, "x"), "--rows", "5"}},
		{"stray arg", predictCmd, []string{"--model-file", "m", "extra"}},
		{"no model file", predictCmd, []string{"--data", data}},
		{"bad format", predictCmd, []string{"--model-file", "m", "--data", data, "--format", "xml"}},
		{"bad out", predictCmd, []string{"--model-file", "m", "--data", data, "--out", "f.xml"}},
		{"corrupt model", predictCmd, []string{"--model-file", data, "--data", data}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := run(t, c.f, c.args...); err == nil {
				t.Fatal("no error")
			}
		})
	}
	if _, err := run(t, trainCmd, "-h"); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
}

func TestEnvFlags(t *testing.T) {
	dir := t.TempDir()
	data := writeLong(t, dir)
	t.Setenv("STREAMCAST_MAX_STEPS", "3")
	t.Setenv("STREAMCAST_DATA", data)
	out, err := run(t, trainCmd, "--input-size", "8", "--h", "2", "--hidden-size", "4", "--windows-batch-size", "4", "--out", filepath.Join(dir, "e.scm"), "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"steps":3`) {
		t.Fatalf("env STREAMCAST_MAX_STEPS ignored: %s", out)
	}
	t.Setenv("STREAMCAST_MAX_STEPS", "lots")
	if _, err := run(t, trainCmd, "--out", filepath.Join(dir, "e.scm")); err == nil || !strings.Contains(err.Error(), "STREAMCAST_MAX_STEPS") {
		t.Fatalf("bad env value: %v", err)
	}
}

func TestBenchCommands(t *testing.T) {
	var out, errb bytes.Buffer
	err := BenchTrainMain(context.Background(), []string{"--input-size", "24", "--h", "6", "--hidden-size", "16", "--steps", "5", "--warmup", "1", "--reps", "1", "--json"}, &out, &errb)
	if err != nil {
		t.Fatal(err)
	}
	var tr struct {
		Model     string  `json:"model"`
		StepsPerS float64 `json:"steps_per_s"`
		Params    int     `json:"params"`
		PeakRSS   float64 `json:"peak_rss_mb"`
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &tr); err != nil || tr.Model != "mlp" || !(tr.StepsPerS > 0) || tr.Params == 0 || !(tr.PeakRSS > 0) {
		t.Fatalf("bench train %q: %v", out.String(), err)
	}
	out.Reset()
	err = BenchPredictMain(context.Background(), []string{"--input-size", "24", "--h", "6", "--hidden-size", "16", "--calls", "20", "--batch-seconds", "0", "--json"}, &out, &errb)
	if err != nil {
		t.Fatal(err)
	}
	var pr struct {
		Latency map[string]float64 `json:"latency_us"`
		Tput    float64            `json:"batch100_series_per_s"`
	}
	if err := json.Unmarshal(out.Bytes(), &pr); err != nil || !(pr.Latency["p50"] > 0) || !(pr.Latency["p99"] >= pr.Latency["p50"]) || !(pr.Tput > 0) {
		t.Fatalf("bench predict %q: %v", out.String(), err)
	}
}

// TestBenchNeuralForecastKinds: bench train and bench predict run NHITS,
// NBEATS and NBEATSx (small blocks to keep the test short).
func TestBenchNeuralForecastKinds(t *testing.T) {
	for _, kind := range []string{"nhits", "nbeats", "nbeatsx"} {
		common := []string{"--model", kind, "--input-size", "24", "--h", "6", "--hyper", `{"mlp_units":[[16,16]]}`, "--json"}
		var out, errb bytes.Buffer
		if err := BenchTrainMain(context.Background(), append([]string{"--steps", "3", "--warmup", "1", "--reps", "1", "--batch-size", "8"}, common...), &out, &errb); err != nil {
			t.Fatalf("%s: bench train: %v", kind, err)
		}
		var tr struct {
			Model     string  `json:"model"`
			StepsPerS float64 `json:"steps_per_s"`
			Params    int     `json:"params"`
			LastLoss  float64 `json:"last_loss"`
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &tr); err != nil || tr.Model != kind || !(tr.StepsPerS > 0) || tr.Params == 0 || !(tr.LastLoss > 0) {
			t.Fatalf("%s: bench train %q: %v", kind, out.String(), err)
		}
		out.Reset()
		if err := BenchPredictMain(context.Background(), append([]string{"--calls", "5", "--warmup", "1", "--batch-seconds", "0"}, common...), &out, &errb); err != nil {
			t.Fatalf("%s: bench predict: %v", kind, err)
		}
		var pr struct {
			Model   string             `json:"model"`
			Latency map[string]float64 `json:"latency_us"`
		}
		if err := json.Unmarshal(out.Bytes(), &pr); err != nil || pr.Model != kind || !(pr.Latency["p50"] > 0) {
			t.Fatalf("%s: bench predict %q: %v", kind, out.String(), err)
		}
	}
}

// TestKindTrainDefaults: NHITS/NBEATS(x) take NeuralForecast's
// num_lr_decays = 3 (and the linear kinds their 5000 steps at 1e-4) unless
// the flag (or its environment variable) is given; the MLP keeps
// train.DefaultConfig.
func TestKindTrainDefaults(t *testing.T) {
	build := func(kind string) model.Model {
		m, err := model.New(kind, []byte(`{"input_size":24,"h":6}`))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, kind := range []string{"nhits", "nbeats", "nbeatsx"} {
		c := train.DefaultConfig()
		applyKindDefaults(&c, build(kind), map[string]bool{}, "step-size")
		if c.NumLRDecays != 3 || c.MaxSteps != 1000 || c.WindowsBatchSize != 1024 {
			t.Fatalf("%s: %+v", kind, c)
		}
		c = train.DefaultConfig()
		c.NumLRDecays, c.MaxSteps = -1, 7
		applyKindDefaults(&c, build(kind), map[string]bool{"num-lr-decays": true, "max-steps": true}, "step-size")
		if c.NumLRDecays != -1 || c.MaxSteps != 7 {
			t.Fatalf("%s: explicit flags overridden: %+v", kind, c)
		}
	}
	c := train.DefaultConfig()
	applyKindDefaults(&c, build("dlinear"), nil, "step-size")
	if c.MaxSteps != 5000 || c.LearningRate != 1e-4 {
		t.Fatalf("dlinear: %+v", c)
	}
	c = train.DefaultConfig()
	applyKindDefaults(&c, build("mlp"), nil, "step-size")
	if c.NumLRDecays != train.DefaultConfig().NumLRDecays || c.MaxSteps != train.DefaultConfig().MaxSteps {
		t.Fatal("mlp defaults changed")
	}
}
