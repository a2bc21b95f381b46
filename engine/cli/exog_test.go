package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamcast/streamcast/engine/model"
)

// writeExogLong writes hourly series whose target follows an exogenous
// column "load" and the hour of day.
func writeExogLong(t *testing.T, dir string) string {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("unique_id,ds,y,load\n")
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range []string{"a", "b"} {
		for i := 0; i < 300; i++ {
			load := rng.Float64()
			y := 3*load + math.Sin(2*math.Pi*float64(i)/24)
			fmt.Fprintf(&b, "%s,%s,%g,%g\n", id, t0.Add(time.Duration(i)*time.Hour).Format("2006-01-02 15:04:05"), y, load)
		}
	}
	p := filepath.Join(dir, "exog.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// train --loss mqloss with a file column, a derived feature and calendar
// inputs; predict returns point forecasts and the quantiles.
func TestTrainPredictExogenousQuantiles(t *testing.T) {
	dir := t.TempDir()
	data := writeExogLong(t, dir)
	mfile := filepath.Join(dir, "q.scm")
	if _, err := run(t, trainCmd, "--data", data, "--input-size", "24", "--h", "6", "--hidden-size", "16",
		"--max-steps", "20", "--windows-batch-size", "32", "--loss", "mqloss", "--level", "80",
		"--hist-exog", "load,mean_24", "--futr-exog", "hour_sin,hour_cos", "--out", mfile, "--quiet"); err != nil {
		t.Fatal(err)
	}
	l, err := model.Load(mfile)
	if err != nil {
		t.Fatal(err)
	}
	c := l.Model.Common()
	if fmt.Sprint(c.HistExog) != "[load mean_24]" || fmt.Sprint(c.FutrExog) != "[hour_sin hour_cos]" || c.Loss == nil || c.Loss.Name != "MQLoss" {
		t.Fatalf("saved hyper-parameters %+v", c)
	}
	out, err := run(t, predictCmd, "--model-file", mfile, "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	var pred struct {
		Quantiles []float64
		Series    []struct {
			Forecast []float64
			Q        [][]float64
		}
	}
	if err := json.Unmarshal([]byte(out), &pred); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(pred.Quantiles) != "[0.1 0.5 0.9]" || len(pred.Series) != 2 || len(pred.Series[0].Q) != 6 {
		t.Fatalf("prediction %s", out)
	}
	for _, s := range pred.Series {
		for j, q := range s.Q {
			if len(q) != 3 || q[1] != s.Forecast[j] || !(q[0] <= q[2]) {
				t.Fatalf("step %d: quantiles %v around forecast %v", j, q, s.Forecast[j])
			}
		}
	}
	fcsv := filepath.Join(dir, "q.csv")
	_, err = run(t, predictCmd, "--model-file", mfile, "--data", data, "--out", fcsv)
	csv, _ := os.ReadFile(fcsv)
	if err != nil || !strings.HasPrefix(string(csv), "unique_id,ds,mlp,mlp-lo-80,mlp-median,mlp-hi-80\n") {
		t.Fatalf("csv %q: %v", csv[:min(len(csv), 80)], err)
	}
	if _, err = run(t, predictCmd, "--model-file", mfile, "--data", data, "--out", fcsv, "--level", "80"); err != nil {
		t.Fatal(err)
	}
	if csv, _ = os.ReadFile(fcsv); !strings.HasPrefix(string(csv), "unique_id,ds,mlp,mlp-lo-80,mlp-hi-80\n") {
		t.Fatalf("--level 80: %q", csv[:min(len(csv), 80)])
	}
	if _, err = run(t, predictCmd, "--model-file", mfile, "--data", data, "--out", fcsv, "--level", "90"); ExitCode(err) != ExitUsage {
		t.Fatalf("--level 90 of a model with only 80: %v", err)
	}
	// without flags, the file's exogenous columns are historical inputs
	m2 := filepath.Join(dir, "d.scm")
	if _, err := run(t, trainCmd, "--data", data, "--input-size", "12", "--h", "2", "--hidden-size", "8", "--max-steps", "2", "--out", m2, "--quiet"); err != nil {
		t.Fatal(err)
	}
	if l, err := model.Load(m2); err != nil || fmt.Sprint(l.Model.Common().HistExog) != "[load]" {
		t.Fatalf("default inputs: %v", err)
	}
	for _, bad := range [][]string{
		{"--loss", "quantile"},
		{"--level", "80,x", "--loss", "mqloss"},
		{"--futr-exog", "lag_1"},
		{"--hist-exog", "nosuchcolumn"},
		{"--stat-exog", "size"},
	} {
		args := append([]string{"--data", data, "--input-size", "12", "--h", "2", "--hidden-size", "8", "--max-steps", "1", "--out", filepath.Join(dir, "x.scm"), "--quiet"}, bad...)
		if _, err := run(t, trainCmd, args...); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
