package lifecycle

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/ingest"
)

// memHistories is a HistorySource over states in memory.
type memHistories map[string]*features.State

func (m memHistories) Series(context.Context) ([]string, error) {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}

func (m memHistories) States(_ context.Context, names []string) ([]*features.State, error) {
	out := make([]*features.State, len(names))
	for i, n := range names {
		out[i] = m[n]
	}
	return out, nil
}

// TestDatasetStepExogAndStatic: a historical input kept per step is read
// from the state's per-step values (missing ones carried forward, as
// served), static inputs from the static file; a series without a static
// row is left out.
func TestDatasetStepExogAndStatic(t *testing.T) {
	cfg := features.DefaultConfig()
	cfg.History, cfg.Windows, cfg.Lags = 64, []int{2}, []int{1}
	cfg.StepExog = []string{"other", "temp"}
	var obs []features.Observation
	for _, s := range []string{"a", "b"} {
		for k := range 30 {
			ex := map[string]float64{"other": 1}
			if k%4 != 1 {
				ex["temp"] = float64(k) / 10
			}
			obs = append(obs, features.Observation{Series: s, TS: tStart.Add(time.Duration(k) * time.Hour), Value: float64(k % 5),
				Exog: ex, Source: features.SourcePos{Offset: -1}})
		}
	}
	src := memHistories(features.Offline(cfg, obs))
	path := filepath.Join(t.TempDir(), "static.csv")
	if err := os.WriteFile(path, []byte("unique_id,size\na,7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	static, err := ingest.LoadStatic(path, ingest.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := model.Common{InputSize: 4, H: 2, HistExog: []string{"temp", "mean_2"}, StatExog: []string{"size"}}
	in := Inputs{StepExog: cfg.StepExog, Static: static}
	if _, err := BuildDataset(context.Background(), src, []string{"a", "b"}, 0, 1, c, 5, 2, Inputs{StepExog: cfg.StepExog}); err == nil {
		t.Fatal("static inputs without a static file: no error")
	}
	ds, err := BuildDataset(context.Background(), src, []string{"a", "b"}, 0, 1, c, 5, 2, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Train) != 1 || len(ds.Windows.Values) != 2 || !slices.Equal(ds.Windows.Series, []string{"a", "a"}) {
		t.Fatalf("%d training series, windows of %v", len(ds.Train), ds.Windows.Series)
	}
	tr := ds.Train[0]
	if !slices.Equal(tr.Stat, []float64{7}) || len(tr.Hist) != 2 || len(tr.Y) != 26 {
		t.Fatalf("static %v, %d historical inputs, %d values", tr.Stat, len(tr.Hist), len(tr.Y))
	}
	for k, v := range tr.Hist[0] {
		want := float64(k) / 10
		if k%4 == 1 {
			want = float64(k-1) / 10 // carried forward
		}
		if v != want {
			t.Fatalf("temp at step %d: %v, want %v", k, v, want)
		}
	}
	if math.Abs(tr.Hist[1][3]-(tr.Y[2]+tr.Y[3])/2) > 1e-12 {
		t.Fatalf("mean_2 at step 3: %v", tr.Hist[1][3])
	}
	// The most recent hold-out window: inputs [23, 28), with their rows.
	st := src["a"]
	same := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
	if w := ds.Windows.Exog[0]; !slices.EqualFunc(w, st.ExogSteps[23*2:28*2], same) || ds.Windows.ExogNames[1] != "temp" {
		t.Fatalf("hold-out exog %v", w)
	}
}
