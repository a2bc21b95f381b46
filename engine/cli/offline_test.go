package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamcast/streamcast/engine/model"
)

func TestCVWindows(t *testing.T) {
	cases := []struct {
		n, h, k, step int
		want          []int // values before each window
	}{
		{10, 2, 3, 1, []int{6, 7, 8}},
		{10, 2, 3, 2, []int{4, 6, 8}},
		{10, 3, 1, 5, []int{7}},
		{10, 2, 2, 3, []int{5, 8}},
		{5, 2, 3, 2, nil}, // 5-2-4 < 1
	}
	for _, c := range cases {
		got, err := cvWindows(c.n, c.h, c.k, c.step)
		if c.want == nil {
			if ExitCode(err) != ExitData {
				t.Errorf("%+v: err %v", c, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v %v", c, got, err)
		}
	}
}

// readCSV reads a small CSV written by a command into rows of fields.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		out = append(out, strings.Split(l, ","))
	}
	return out
}

// Cross-validation of two series with integer ds 0..119 (writeLong): h=2,
// 3 windows stepping 5 put the origins after 120−2−10 = 108, 113 and 118
// values, so the cutoffs are ds 107, 112, 117 and the windows forecast ds
// 108-109, 113-114, 118-119; y is the series' own value there. Rows come
// by series, cutoff, ds.
func TestCVCommand(t *testing.T) {
	dir := t.TempDir()
	data := writeLong(t, dir)
	out := filepath.Join(dir, "cv.csv")
	base := []string{"--data", data, "--input-size", "8", "--h", "2", "--hidden-size", "8", "--max-steps", "5",
		"--windows-batch-size", "8", "--n-windows", "3", "--step-size", "5", "--out", out, "--quiet"}
	for _, c := range []struct {
		refit string
		fits  []int
	}{{"0", []int{1}}, {"1", []int{1, 2, 3}}, {"2", []int{1, 3}}} {
		res, err := run(t, cvCmd, append(base, "--refit", c.refit)...)
		if err != nil {
			t.Fatal(err)
		}
		var sum struct{ Fits []struct{ Window int } }
		if err := json.Unmarshal([]byte(res), &sum); err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, f := range sum.Fits {
			got = append(got, f.Window)
		}
		if !slices.Equal(got, c.fits) {
			t.Errorf("--refit %s trained before windows %v, want %v", c.refit, got, c.fits)
		}
	}
	if _, err := run(t, cvCmd, append(base, "--refit", "1", "--warm-start")...); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, out)
	if strings.Join(rows[0], ",") != "unique_id,ds,cutoff,y,mlp" || len(rows) != 1+2*3*2 {
		t.Fatalf("cv output %v", rows)
	}
	want := [][2]int{{108, 107}, {109, 107}, {113, 112}, {114, 112}, {118, 117}, {119, 117}}
	for i, r := range rows[1:] {
		w := want[i%6]
		id := "a"
		if i >= 6 {
			id = "b"
		}
		if r[0] != id || r[1] != fmt.Sprint(w[0]) || r[2] != fmt.Sprint(w[1]) || r[3] != fmt.Sprint(math.Sin(float64(w[0])/4)) {
			t.Errorf("row %d: %v, want %s,%d,%d,sin(%d/4)", i+1, r, id, w[0], w[1], w[0])
		}
	}
	// eval reads cv output (cutoff and y are not models)
	var ev strings.Builder
	if err := runEvalFiles([]string{"--forecasts", out, "--actuals", data, "--season", "1"}, &ev); err != nil || !strings.Contains(ev.String(), `"model":"mlp"`) || strings.Contains(ev.String(), `"model":"y"`) {
		t.Fatalf("eval of cv output: %v %s", err, ev.String())
	}
	// too many windows for the series is a data error
	if _, err := run(t, cvCmd, append(base, "--n-windows", "100")...); ExitCode(err) != ExitData {
		t.Fatalf("100 windows: %v", err)
	}
}

// CSV → train → model file → predict (Parquet) → eval, with a static file.
func TestOfflineRoundTripStatic(t *testing.T) {
	dir := t.TempDir()
	data := writeLong(t, dir)
	static := filepath.Join(dir, "static.csv")
	os.WriteFile(static, []byte("unique_id,size,kind\na,1,0\nb,2,1\n"), 0o600)
	mfile := filepath.Join(dir, "m.scm")
	if _, err := run(t, trainCmd, "--data", data, "--rows", ":100", "--static", static, "--input-size", "12", "--h", "4", "--hidden-size", "16",
		"--max-steps", "30", "--windows-batch-size", "16", "--out", mfile, "--quiet"); err != nil {
		t.Fatal(err)
	}
	l, err := model.Load(mfile)
	if err != nil || fmt.Sprint(l.Model.Common().StatExog) != "[size kind]" {
		t.Fatalf("static inputs of the saved model: %v", err)
	}
	fc := filepath.Join(dir, "f.parquet")
	if _, err := run(t, predictCmd, "--model-file", mfile, "--data", data, "--rows", ":100", "--out", fc); ExitCode(err) != ExitUsage {
		t.Fatalf("predict without --static: %v", err)
	}
	if _, err := run(t, predictCmd, "--model-file", mfile, "--data", data, "--rows", ":100", "--static", static, "--out", fc); err != nil {
		t.Fatal(err)
	}
	r, _, err := runEval(t, "--forecasts", fc, "--actuals", data, "--season", "1")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Models) != 1 || r.Models[0].Model != "mlp" || len(r.Models[0].Series) != 2 || r.Models[0].Overall["mae"] == nil || !(*r.Models[0].Overall["mae"] < 1) {
		t.Fatalf("eval of the forecasts: %+v", r)
	}
	// a series without a static row is a data error
	os.WriteFile(static, []byte("unique_id,size,kind\na,1,0\n"), 0o600)
	if _, err := run(t, predictCmd, "--model-file", mfile, "--data", data, "--static", static, "--out", fc); ExitCode(err) != ExitData {
		t.Fatalf("missing static row: %v", err)
	}
	// a kind without exogenous inputs ignores the static file by default
	if _, err := run(t, trainCmd, "--data", data, "--static", static, "--model", "nlinear", "--input-size", "12", "--h", "4", "--max-steps", "2", "--out", mfile, "--quiet"); err != nil {
		t.Fatalf("nlinear with --static: %v", err)
	}
}

// A future-known column of the file: predict takes its horizon values
// from --futr and names a missing step.
func TestPredictFutrFile(t *testing.T) {
	dir := t.TempDir()
	data := writeExogLong(t, dir)
	mfile := filepath.Join(dir, "f.scm")
	if _, err := run(t, trainCmd, "--data", data, "--futr-exog", "load,hour_sin", "--input-size", "12", "--h", "3", "--hidden-size", "8",
		"--max-steps", "5", "--out", mfile, "--quiet"); err != nil {
		t.Fatal(err)
	}
	l, _ := model.Load(mfile)
	if c := l.Model.Common(); fmt.Sprint(c.FutrExog) != "[load hour_sin]" || len(c.HistExog) != 0 {
		t.Fatalf("inputs %v %v", c.FutrExog, c.HistExog)
	}
	out := filepath.Join(dir, "p.jsonl")
	if _, err := run(t, predictCmd, "--model-file", mfile, "--data", data, "--out", out); ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "--futr") {
		t.Fatalf("no --futr: %v", err)
	}
	rows := readCSV(t, data)
	last := rows[len(rows)-1] // series b's last row
	futr := filepath.Join(dir, "futr.csv")
	var b strings.Builder
	b.WriteString("unique_id,ds,load\n")
	for _, id := range []string{"a", "b"} {
		for k := 1; k <= 3; k++ {
			fmt.Fprintf(&b, "%s,%s,%d\n", id, shiftHour(t, last[1], k), k)
		}
	}
	os.WriteFile(futr, []byte(b.String()), 0o600)
	if _, err := run(t, predictCmd, "--model-file", mfile, "--data", data, "--futr", futr, "--out", out); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	if n := strings.Count(string(got), "\n"); n != 6 || !strings.Contains(string(got), `"mlp":`) {
		t.Fatalf("jsonl forecasts %q", got)
	}
	os.WriteFile(futr, []byte(strings.Join(strings.Split(b.String(), "\n")[:6], "\n")+"\n"), 0o600) // b's 3rd step missing
	if _, err := run(t, predictCmd, "--model-file", mfile, "--data", data, "--futr", futr, "--out", out); ExitCode(err) != ExitData || !strings.Contains(err.Error(), `series "b"`) {
		t.Fatalf("missing futr step: %v", err)
	}
}

func shiftHour(t *testing.T, ds string, k int) string {
	t.Helper()
	tm, err := time.Parse("2006-01-02 15:04:05", ds)
	if err != nil {
		t.Fatal(err)
	}
	return tm.Add(time.Duration(k) * time.Hour).Format("2006-01-02 15:04:05")
}

func cvCmd(ctx context.Context, a []string, o, e *bytes.Buffer) error {
	return CVMain(ctx, a, o, e)
}

// A bad row fails every command with its line number and exit code 3.
func TestBadRowThroughCommands(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("unique_id,ds,y\na,1,1\na,2,2\na,3,abc\n"), 0o600)
	for name, args := range map[string][]string{
		"train": {"train", "--data", bad, "--out", filepath.Join(dir, "m.scm"), "--quiet"},
		"cv":    {"cv", "--data", bad, "--out", filepath.Join(dir, "cv.csv"), "--quiet"},
	} {
		f := map[string]func(context.Context, []string, *bytes.Buffer, *bytes.Buffer) error{"train": trainCmd, "cv": cvCmd}[name]
		_, err := run(t, f, args[1:]...)
		if ExitCode(err) != ExitData || !strings.Contains(err.Error(), "line 4") {
			t.Errorf("%s: %v (exit %d)", name, err, ExitCode(err))
		}
	}
}
