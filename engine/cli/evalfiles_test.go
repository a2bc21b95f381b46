package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamcast/streamcast/internal/shareddata"
)

type evalOut struct {
	Season, Series, Points int
	Naive2                 map[string]*float64
	Models                 []struct {
		Model   string
		Overall map[string]*float64
		Series  []map[string]any
	}
}

func runEval(t *testing.T, args ...string) (evalOut, string, error) {
	t.Helper()
	var out bytes.Buffer
	err := runEvalFiles(args, &out)
	var r evalOut
	if err == nil && !strings.Contains(strings.Join(args, " "), "--output csv") {
		if e := json.Unmarshal(out.Bytes(), &r); e != nil {
			t.Fatalf("output %q: %v", out.String(), e)
		}
	}
	return r, out.String(), err
}

// M4 Hourly, the organisers' sNaive submission scored from the wide files:
// the published sMAPE 13.912, MASE 1.193 and OWA 0.627 (Naive2 computed here).
func TestEvalFilesM4Hourly(t *testing.T) {
	train := shareddata.File(t, "m4-hourly", "Hourly-train.csv")
	test := shareddata.File(t, "m4-hourly", "Hourly-test.csv")
	snaive := shareddata.File(t, "m4-hourly", "benchmarks", "submission-sNaive-Hourly.csv")
	r, _, err := runEval(t, "--forecasts", snaive, "--forecasts-format", "m4", "--actuals", test, "--actuals-format", "m4",
		"--train", train, "--train-format", "m4", "--season", "24")
	if err != nil {
		t.Fatal(err)
	}
	o := r.Models[0].Overall
	got := fmt.Sprintf("%d %d %.3f %.3f %.3f %.3f %.4f", r.Series, r.Points, *o["smape"], *o["mase"], *r.Naive2["smape"], *r.Naive2["mase"], *o["owa"])
	if want := "414 19872 13.912 1.193 18.383 2.395 0.6275"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if len(r.Models[0].Series) != 414 || r.Models[0].Series[0]["unique_id"] != "H1" {
		t.Fatalf("per-series scores: %v", r.Models[0].Series[:1])
	}
}

// Quantile forecasts in NeuralForecast's column layout, history taken from
// the actuals file, checked against hand-computed values.
func TestEvalFilesQuantiles(t *testing.T) {
	dir := t.TempDir()
	var a strings.Builder
	a.WriteString("unique_id,ds,y\n")
	for i := 1; i <= 6; i++ {
		fmt.Fprintf(&a, "s,2024-01-01 %02d:00:00,%d\n", i, i) // history 1..4, test 5, 6
	}
	act := filepath.Join(dir, "actuals.csv")
	os.WriteFile(act, []byte(a.String()), 0o600)
	fcs := filepath.Join(dir, "forecasts.csv")
	os.WriteFile(fcs, []byte("unique_id,ds,cutoff,MLP-median,MLP-lo-80,MLP-hi-80\n"+
		"s,2024-01-01 05:00:00,2024-01-01 04:00:00,6,4,8\n"+
		"s,2024-01-01 06:00:00,2024-01-01 04:00:00,5,5.5,5.8\n"), 0o600)
	r, _, err := runEval(t, "--forecasts", fcs, "--actuals", act, "--season", "1")
	if err != nil {
		t.Fatal(err)
	}
	o := r.Models[0].Overall
	// Point = median 6, 5 vs 5, 6: MAE 1, MASE 1/1 (history diffs 1), sMAPE (200/11 + 200/11)/2.
	// Pinball at 0.1, 0.5, 0.9: t1: 0.1*1=0.1, 0.5*... y=5: q=4 → 0.1; q=6 → 0.5; q=8 → 0.3; sum 0.9
	//                            t2: y=6: q=5.5 → 0.05; q=5 → 0.5; q=5.8 → 0.18; sum 0.73 (outside the 80% interval)
	wantCRPS := 2.0 / 3 * (0.9 + 0.73) / 2
	if r.Models[0].Model != "MLP" || math.Abs(*o["mae"]-1) > 1e-12 || math.Abs(*o["mase"]-1) > 1e-12 ||
		math.Abs(*o["smape"]-200.0/11) > 1e-12 || math.Abs(*o["crps"]-wantCRPS) > 1e-12 || *o["coverage_80"] != 0.5 {
		t.Fatalf("overall %v", dump(o))
	}
	// Naive2 (period 1: naive) forecasts 4, 4: sMAPE (200/9 + 400/10)/2, MASE 1.5.
	if math.Abs(*o["owa"]-0.5*((200.0/11)/((200.0/9+40)/2)+1/1.5)) > 1e-12 {
		t.Fatalf("owa %v", *o["owa"])
	}
	_, csv, err := runEval(t, "--forecasts", fcs, "--actuals", act, "--season", "1", "--output", "csv")
	if err != nil || !strings.HasPrefix(csv, "model,unique_id,coverage_80,crps,mae,mape,mase,mse,owa,rmse,scaled_crps,smape\nMLP,_overall_,0.5,") {
		t.Fatalf("csv %q %v", csv, err)
	}
	// streamcast eval dispatches to the file mode on --forecasts/--actuals.
	var o1, o2 bytes.Buffer
	if err := EvalMain(context.Background(), []string{"--forecasts", fcs, "--actuals", act, "--season", "1"}, &o1, &o2); err != nil {
		t.Fatal(err)
	}
	if _, want, _ := runEval(t, "--forecasts", fcs, "--actuals", act, "--season", "1"); o1.String() != want {
		t.Fatalf("eval command output %q, file mode %q", o1.String(), want)
	}
	// A forecast without an actual is an error naming it.
	os.WriteFile(fcs, []byte("unique_id,ds,MLP\ns,2024-01-01 07:00:00,1\n"), 0o600)
	if _, _, err := runEval(t, "--forecasts", fcs, "--actuals", act); err == nil || !strings.Contains(err.Error(), `1 forecasts have no actual`) {
		t.Fatalf("missing actual: %v", err)
	}
	if _, _, err := runEval(t, "--forecasts", fcs); !errors.Is(err, errUsage) {
		t.Fatalf("usage: %v", err)
	}
}

func dump(m map[string]*float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}
