package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamcast/streamcast/internal/shareddata"
)

func evalCmd(ctx context.Context, a []string, o, e *bytes.Buffer) error {
	return EvalMain(ctx, a, o, e)
}

func TestEvalBenchmarkETTh1(t *testing.T) {
	dir := filepath.Dir(filepath.Dir(shareddata.ETTh1(t)))
	out, err := run(t, evalCmd, "--benchmark", "etth1", "--data-dir", dir, "--model", "dlinear", "--steps", "20", "--seed", "2", "--json", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if len(res) != 5 || res["benchmark"] != "etth1" || res["model"] != "dlinear" || res["h"] != 96.0 {
		t.Fatalf("result %v", res)
	}
	for _, k := range []string{"mse", "mae"} {
		v, ok := res[k].(float64)
		if !ok || !(v > 0) || math.IsInf(v, 0) || v > 1.3 {
			t.Fatalf("%s = %v (untrained-level or invalid)", k, res[k])
		}
	}
	table, err := run(t, evalCmd, "--benchmark", "etth1", "--data-dir", filepath.Join(dir, "etth1"), "--model", "nlinear",
		"--steps", "5", "--h", "24", "--input-size", "48", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table, "MSE") || !strings.Contains(table, "nlinear") || !strings.Contains(table, "2857") {
		t.Fatalf("table %q", table)
	}
}

// TestEvalBenchmarkNeuralForecastKinds: NHITS and NBEATS run under the
// ETTh1 protocol with the batch flags of NeuralForecast's long-horizon
// setting (7 series × N windows per step).
func TestEvalBenchmarkNeuralForecastKinds(t *testing.T) {
	dir := filepath.Dir(filepath.Dir(shareddata.ETTh1(t)))
	for _, kind := range []string{"nhits", "nbeats"} {
		out, err := run(t, evalCmd, "--benchmark", "etth1", "--data-dir", dir, "--model", kind, "--steps", "3", "--h", "24", "--input-size", "48",
			"--batch-size", "7", "--windows-batch-size", "16", "--hyper", `{"mlp_units":[[32,32]]}`, "--json", "--quiet")
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		var res map[string]any
		if err := json.Unmarshal([]byte(out), &res); err != nil || res["model"] != kind || !(res["mse"].(float64) > 0) {
			t.Fatalf("%s: output %q: %v", kind, out, err)
		}
	}
}

func TestEvalBenchmarkM4(t *testing.T) {
	dir := filepath.Dir(filepath.Dir(shareddata.File(t, "m4-hourly", "Hourly-train.csv")))
	out, err := run(t, evalCmd, "--benchmark", "m4-hourly", "--data-dir", dir, "--model", "nlinear", "--steps", "5", "--json", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 5 || res["benchmark"] != "m4-hourly" || res["owa"] == nil || res["smape"] == nil || res["mase"] == nil {
		t.Fatalf("output %q: %v", out, err)
	}
}

func TestEvalErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args  []string
		usage bool
	}{
		{[]string{"--model", "nlinear"}, true},
		{[]string{"--benchmark", "etth1", "--data-dir", dir}, true},
		{[]string{"--benchmark", "etth1", "--data-dir", dir, "--model", "nlinear", "--steps", "-1"}, true},
		{[]string{"--benchmark", "etth1", "--data-dir", dir, "--model", "nlinear", "--hyper", "{"}, true},
		{[]string{"--benchmark", "etth1", "--data-dir", dir, "--model", "nhits", "--windows-batch-size", "-1"}, true},
		{[]string{"--benchmark", "etth1", "--data-dir", dir, "--model", "nhits", "--batch-size", "-2"}, true},
		{[]string{"--benchmark", "etth1", "--data-dir", dir, "--model", "nlinear"}, false},
		{[]string{"--benchmark", "nope", "--data-dir", dir, "--model", "nlinear"}, false},
		{[]string{"--benchmark", "etth1", "extra"}, true}, // stray arguments are usage errors (exit 2)
	} {
		_, err := run(t, evalCmd, c.args...)
		if err == nil || errors.Is(err, errUsage) != c.usage {
			t.Errorf("%v: error %v (usage error expected: %v)", c.args, err, c.usage)
		}
	}
}

// TestBenchLinearKinds: bench train and bench predict build the linear
// kinds by name and run.
func TestBenchLinearKinds(t *testing.T) {
	for _, kind := range []string{"nlinear", "dlinear", "rlinear"} {
		var out, errb bytes.Buffer
		if err := BenchTrainMain(context.Background(), []string{"--model", kind, "--input-size", "48", "--h", "12", "--steps", "3", "--warmup", "1", "--reps", "1", "--json"}, &out, &errb); err != nil {
			t.Fatalf("%s bench train: %v (%s)", kind, err, errb.String())
		}
		var res map[string]any
		if err := json.Unmarshal(out.Bytes(), &res); err != nil || res["model"] != kind || !(res["steps_per_s"].(float64) > 0) {
			t.Fatalf("%s bench train output %q: %v", kind, out.String(), err)
		}
		out.Reset()
		if err := BenchPredictMain(context.Background(), []string{"--model", kind, "--input-size", "48", "--h", "12", "--calls", "10", "--warmup", "2", "--batch-seconds", "0", "--json"}, &out, &errb); err != nil {
			t.Fatalf("%s bench predict: %v", kind, err)
		}
		if err := json.Unmarshal(out.Bytes(), &res); err != nil || res["model"] != kind {
			t.Fatalf("%s bench predict output %q: %v", kind, out.String(), err)
		}
	}
}
