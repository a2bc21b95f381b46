package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamcast/streamcast/ingest"
	"github.com/streamcast/streamcast/internal/shareddata"
)

// Three M4 Hourly series as long CSV: train → model file → predict → eval
// against the test period. A short run (CI); the check is loose but fails
// for a broken pipeline (a zero forecast scores sMAPE 200).
func TestOfflineRoundTripM4Hourly(t *testing.T) {
	trainPath := shareddata.File(t, "m4-hourly", "Hourly-train.csv")
	testPath := shareddata.File(t, "m4-hourly", "Hourly-test.csv")
	tr, _, err := ingest.Load(trainPath, ingest.LoadOptions{Format: ingest.FormatM4})
	if err != nil {
		t.Fatal(err)
	}
	te, _, err := ingest.Load(testPath, ingest.LoadOptions{Format: ingest.FormatM4})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var hist, act strings.Builder
	hist.WriteString("unique_id,ds,y\n")
	act.WriteString("unique_id,ds,y\n")
	for i := range 3 {
		s := tr.Series(i, nil)
		j, _ := te.Index(s.ID)
		ts := te.Series(j, nil)
		for k, v := range s.Y {
			fmt.Fprintf(&hist, "%s,%d,%g\n", s.ID, k+1, v)
			fmt.Fprintf(&act, "%s,%d,%g\n", s.ID, k+1, v)
		}
		for k, v := range ts.Y {
			fmt.Fprintf(&act, "%s,%d,%g\n", s.ID, len(s.Y)+k+1, v)
		}
	}
	hp, ap := filepath.Join(dir, "hist.csv"), filepath.Join(dir, "actuals.csv")
	os.WriteFile(hp, []byte(hist.String()), 0o600)
	os.WriteFile(ap, []byte(act.String()), 0o600)
	mfile := filepath.Join(dir, "m4.scm")
	if _, err := run(t, trainCmd, "--data", hp, "--input-size", "96", "--h", "48", "--hidden-size", "64", "--scaler-type", "standard",
		"--max-steps", "150", "--windows-batch-size", "64", "--out", mfile, "--quiet"); err != nil {
		t.Fatal(err)
	}
	fc := filepath.Join(dir, "forecasts.csv")
	if _, err := run(t, predictCmd, "--model-file", mfile, "--data", hp, "--out", fc); err != nil {
		t.Fatal(err)
	}
	r, _, err := runEval(t, "--forecasts", fc, "--actuals", ap, "--season", "24")
	if err != nil {
		t.Fatal(err)
	}
	o := r.Models[0].Overall
	t.Logf("3 M4 Hourly series, mlp 150 steps: sMAPE %.2f MASE %.3f", *o["smape"], *o["mase"])
	if len(r.Models[0].Series) != 3 || !(*o["smape"] < 40) {
		t.Fatalf("sMAPE %v over %d series", *o["smape"], len(r.Models[0].Series))
	}
}
