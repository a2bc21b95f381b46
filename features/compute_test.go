package features

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

func TestFeaturesSmall(t *testing.T) {
	cfg := Config{History: 8, Windows: []int{3, 8}, Lags: []int{1, 2, 5}, EWMAAlphas: []float64{0.5},
		Exog: []string{"temp", "none"}, KeyPrefix: "sc"}
	st := NewState("s")
	// Thursday 2026-01-01 13:00 UTC onwards, hourly: values 2, 4, 6, 8.
	start := time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)
	for i, v := range []float64{2, 4, 6, 8} {
		ob := Observation{Series: "s", TS: start.Add(time.Duration(i) * time.Hour), Value: v,
			Exog: map[string]float64{"temp": float64(i)}, Source: SourcePos{Offset: int64(i)}}
		cfg.Step(st, &ob)
	}
	got := cfg.Features(st, nil)
	nan := math.NaN()
	hour, dow, month := 16.0, 4.0, 1.0
	want := []float64{
		6, math.Sqrt(8.0 / 3), 4, 8, // window 3 over 4 6 8
		5, math.Sqrt(5), 2, 8, // window 8 over the 4 values
		8, 6, nan, // lags
		6.25, // ewma 0.5: 2 -> 3 -> 4.5 -> 6.25
		hour, dow, month,
		math.Sin(2 * math.Pi * hour / 24), math.Cos(2 * math.Pi * hour / 24),
		math.Sin(2 * math.Pi * dow / 7), math.Cos(2 * math.Pi * dow / 7),
		0, 1,
		3, nan,
	}
	names := cfg.FeatureNames()
	if len(got) != len(want) || len(got) != len(names) {
		t.Fatalf("got %d features, want %d (names %d)", len(got), len(want), len(names))
	}
	for i := range want {
		if !(got[i] == want[i] || math.IsNaN(got[i]) && math.IsNaN(want[i]) ||
			math.Abs(got[i]-want[i]) < 1e-12) {
			t.Errorf("%s = %v, want %v", names[i], got[i], want[i])
		}
	}
	// dst reuse: same backing array, no growth.
	again := cfg.Features(st, got)
	if &again[0] != &got[0] {
		t.Error("Features did not reuse dst")
	}
	// Empty state: everything NaN.
	for i, v := range cfg.Features(NewState("e"), nil) {
		if !math.IsNaN(v) {
			t.Errorf("empty state %s = %v, want NaN", names[i], v)
		}
	}
}

func TestFeaturesNoAllocs(t *testing.T) {
	cfg := DefaultConfig()
	st := Offline(cfg, randomStream(newRand(3), 1, 300))["meter-a"]
	dst := make([]float64, 0, cfg.NumFeatures())
	if n := testing.AllocsPerRun(20, func() { dst = cfg.Features(st, dst) }); n != 0 {
		t.Fatalf("Features allocates %v times per call", n)
	}
}

// TestFeaturesGolden pins the feature vectors of a small deterministic input
// (testdata/features.golden; regenerate with -update after an intended change).
func TestFeaturesGolden(t *testing.T) {
	cfg := goldenConfig()
	states := map[string]*State{}
	got := goldenText(cfg, func(ob Observation) (Status, *State) {
		st := states[ob.Series]
		if st == nil {
			st = NewState(ob.Series)
			states[ob.Series] = st
		}
		return cfg.Step(st, &ob), st
	})
	path := filepath.Join("testdata", "features.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	compareGolden(t, got)
}

// goldenText feeds goldenInput one observation at a time to apply and
// renders the status and the feature vector of the series after each one.
func goldenText(cfg Config, apply func(Observation) (Status, *State)) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# series n status %s\n", strings.Join(cfg.FeatureNames(), " "))
	var dst []float64
	for i, ob := range goldenInput() {
		status, st := apply(ob)
		if st == nil {
			st = NewState(ob.Series)
		}
		dst = cfg.Features(st, dst)
		fmt.Fprintf(&b, "%s %d %s", ob.Series, i, status)
		for _, v := range dst {
			b.WriteByte(' ')
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func compareGolden(t *testing.T, got string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join("testdata", "features.golden"))
	if err != nil {
		t.Fatalf("%v (run go test -run TestFeaturesGolden -update to create)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("golden line %d differs:\n got %s\nwant %s", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("golden length differs: %d vs %d lines", len(gl), len(wl))
	}
}

func goldenConfig() Config {
	return Config{History: 6, Windows: []int{3, 6}, Lags: []int{1, 4}, EWMAAlphas: []float64{0.1, 0.5},
		Exog: []string{"temp"}, KeyPrefix: "sc"}
}

// goldenInput: two series, hourly, with a duplicate, a late event, an invalid
// value, a partition move and enough events to wrap the History-6 ring.
func goldenInput() []Observation {
	base := time.Date(2026, 7, 4, 21, 0, 0, 0, time.UTC) // Saturday
	mk := func(s string, h int, v float64, part int, off int64, temp float64) Observation {
		ob := Observation{Series: s, TS: base.Add(time.Duration(h) * time.Hour), Value: v,
			Source: SourcePos{Topic: "in", Partition: part, Offset: off}}
		if !math.IsNaN(temp) {
			ob.Exog = map[string]float64{"temp": temp}
		}
		return ob
	}
	nan := math.NaN()
	return []Observation{
		mk("a", 0, 10, 0, 0, 21.5),
		mk("b", 0, -3.25, 1, 0, nan),
		mk("a", 1, 12, 0, 1, nan),
		mk("a", 2, 11.5, 0, 2, 20),
		mk("a", 2, 11.5, 0, 2, 20), // duplicate
		mk("b", 1, -1, 1, 1, 5),
		mk("a", 1, 99, 0, 3, nan), // late
		mk("a", 3, 0.1, 0, 4, nan),
		mk("b", 2, nan, 1, 2, nan), // invalid
		mk("a", 4, 1e-3, 0, 5, 19.25),
		mk("a", 5, 7, 0, 6, nan),
		mk("a", 6, 8, 0, 7, nan), // ring wraps from here
		mk("a", 7, 1234.5678, 0, 8, 18),
		mk("b", 27, 2, 3, 0, nan), // moved to partition 3
		mk("a", 8, -5, 0, 9, nan),
		mk("b", 26, 4, 1, 3, nan), // old partition, older time: late
		mk("a", 30, 3, 0, 10, 17),
	}
}
