package features

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// stepExogObs returns n events of two series with per-step exogenous
// values: "temp" on every event, "load" on every third only, and an
// unlisted "noise" that is kept as a last value but not per step.
func stepExogObs(n int, seed uint64) []Observation {
	r := newRand(seed)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var obs []Observation
	for i := range n {
		for _, s := range []string{"a", "b"} {
			ex := map[string]float64{"temp": math.Round(r.NormFloat64()*100) / 10, "noise": r.Float64()}
			if i%3 == 0 {
				ex["load"] = float64(i)
			}
			obs = append(obs, Observation{Series: s, TS: t0.Add(time.Duration(i) * time.Hour), Value: r.NormFloat64(),
				Exog: ex, Source: SourcePos{Topic: "in", Partition: 0, Offset: int64(len(obs))}})
		}
	}
	return obs
}

func TestStepExogFingerprint(t *testing.T) {
	base := DefaultConfig()
	fps := map[string][]string{}
	for _, names := range [][]string{nil, {"temp"}, {"load"}, {"temp", "load"}, {"load", "temp"}, {"tempload"}, {"te", "mpload"}} {
		cfg := base
		cfg.StepExog = names
		fp := cfg.fingerprint()
		if len(fp) > fpLen {
			t.Errorf("%v: fingerprint %q longer than %d bytes", names, fp, fpLen)
		}
		if !isLayout(fp) {
			t.Errorf("%v: fingerprint %q is not a layout", names, fp)
		}
		if prev, ok := fps[fp]; ok {
			t.Errorf("%v and %v share fingerprint %q", prev, names, fp)
		}
		fps[fp] = names
	}
	cfg := base
	cfg.History = MaxHistory
	cfg.StepExog = []string{"x"}
	if fp := cfg.fingerprint(); len(fp) > fpLen {
		t.Errorf("largest History: fingerprint %q longer than %d bytes", fp, fpLen)
	}
	if base.fingerprint() != "v3;h=1024" {
		t.Errorf("layout without per-step variables changed: %q (existing states would become unusable)", base.fingerprint())
	}
}

func TestStepExogValidate(t *testing.T) {
	for _, tc := range []struct {
		names []string
		ok    bool
	}{
		{[]string{"a", "b"}, true},
		{[]string{""}, false},
		{[]string{"a", "a"}, false},
		{make([]string, MaxStepExog+1), false},
	} {
		cfg := DefaultConfig()
		cfg.StepExog = tc.names
		if err := cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("%q: Validate() = %v, want ok=%v", tc.names, err, tc.ok)
		}
	}
}

// TestStepExogStoreEqualsOffline applies events with per-step exogenous
// values to redis-server through cold, cached and mixed paths, and checks
// every Result's exogenous tail and the final states against Offline.
func TestStepExogStoreEqualsOffline(t *testing.T) {
	rdb, cfg := realRedis(t)
	cfg.History = 16
	cfg.Windows, cfg.Lags = []int{4}, []int{1}
	cfg.StepExog = []string{"temp", "load"}
	obs := stepExogObs(41, 7)
	ctx := context.Background()
	const tail = 6
	for _, forget := range []bool{false, true} {
		cfg := cfg
		if forget {
			cfg.KeyPrefix += "-cold"
		}
		st, err := NewStore(rdb, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Load(ctx); err != nil {
			t.Fatal(err)
		}
		ref := map[string]*State{}
		res := make([]Result, 8)
		for lo := 0; lo < len(obs); lo += 8 {
			batch := obs[lo:min(lo+8, len(obs))]
			if forget {
				st.ForgetCache()
			}
			if err := st.Apply(ctx, batch, tail, res); err != nil {
				t.Fatal(err)
			}
			for k := range batch {
				ob := &batch[k]
				s := ref[ob.Series]
				if s == nil {
					s = NewState(ob.Series)
					ref[ob.Series] = s
				}
				if got, want := res[k].Status, cfg.Step(s, ob); got != want {
					t.Fatalf("event %d: status %v, offline %v", lo+k, got, want)
				}
				c := min(len(s.Values), tail)
				wantX := s.ExogSteps[(len(s.Values)-c)*2:]
				if got := res[k].Exog; len(got) != len(wantX) || len(res[k].Tail) != c {
					t.Fatalf("event %d: %d tail values and %d exogenous values, want %d and %d", lo+k, len(res[k].Tail), len(got), c, len(wantX))
				}
				for j := range wantX {
					if math.Float64bits(res[k].Exog[j]) != math.Float64bits(wantX[j]) {
						t.Fatalf("event %d (cold %v): exog[%d] = %v, offline %v", lo+k, forget, j, res[k].Exog[j], wantX[j])
					}
				}
			}
		}
		off := Offline(cfg, obs)
		for name, want := range off {
			got, err := st.State(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if d := got.Diff(want); d != "" {
				t.Errorf("series %s (cold %v): redis vs offline: %s", name, forget, d)
			}
			if len(got.ExogSteps) != 2*cfg.History {
				t.Errorf("series %s: %d per-step exogenous values, want %d", name, len(got.ExogSteps), 2*cfg.History)
			}
			// Event 40 of each series: temp present, load absent (40 % 3 != 0).
			last := got.ExogSteps[len(got.ExogSteps)-2:]
			if math.IsNaN(last[0]) || !math.IsNaN(last[1]) {
				t.Errorf("series %s: last step exog %v, want temp set and load NaN", name, last)
			}
			if _, ok := got.Exog["noise"]; !ok {
				t.Errorf("series %s: the last value of an unlisted variable was not kept", name)
			}
		}
	}
}

// TestStepExogLayoutChange: a state written without per-step variables is
// unusable under a config with them (and vice versa), reported per series.
func TestStepExogLayoutChange(t *testing.T) {
	rdb, cfg := realRedis(t)
	ctx := context.Background()
	obs := stepExogObs(3, 1)[:2]
	apply := func(c Config) []Result {
		st, err := NewStore(rdb, c)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Load(ctx); err != nil {
			t.Fatal(err)
		}
		res := make([]Result, len(obs))
		if err := st.Apply(ctx, obs, 4, res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	plain := cfg
	withX := cfg
	withX.StepExog = []string{"temp"}
	reordered := cfg
	reordered.StepExog = []string{"temp", "load"}
	for i, c := range []Config{plain, withX, reordered} {
		res := apply(c)
		for _, r := range res {
			want := Applied
			if i > 0 {
				want = BadState
			}
			if r.Status != want {
				t.Fatalf("config %d: status %v (%v), want %v", i, r.Status, r.Err, want)
			}
			if i > 0 && !errors.Is(r.Err, ErrConfigMismatch) {
				t.Errorf("config %d: %v does not wrap ErrConfigMismatch", i, r.Err)
			}
		}
	}
}

// TestStepExogMiniredis runs the scripts on gopher-lua as well (the demo's
// embedded Redis).
func TestStepExogMiniredis(t *testing.T) {
	rdb, cfg := miniRedis(t)
	cfg.History = 8
	cfg.Windows, cfg.Lags = []int{4}, []int{1}
	cfg.StepExog = []string{"load", "temp"}
	obs := stepExogObs(20, 3)
	checkStepExogStates(t, rdb, cfg, obs)
}

func checkStepExogStates(t *testing.T, rdb redis.UniversalClient, cfg Config, obs []Observation) {
	t.Helper()
	ctx := context.Background()
	st, err := NewStore(rdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Load(ctx); err != nil {
		t.Fatal(err)
	}
	res := make([]Result, len(obs))
	if err := st.Apply(ctx, obs, 3, res); err != nil {
		t.Fatal(err)
	}
	for name, want := range Offline(cfg, obs) {
		got, err := st.State(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if d := got.Diff(want); d != "" {
			t.Errorf("series %s: %s", name, d)
		}
	}
}
