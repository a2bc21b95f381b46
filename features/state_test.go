package features

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func obAt(series string, minute int, v float64, part int, off int64) Observation {
	return Observation{Series: series, TS: t0.Add(time.Duration(minute) * time.Minute), Value: v,
		Source: SourcePos{Topic: "in", Partition: part, Offset: off}}
}

// obIn is an observation of partition 0 of topic.
func obIn(series string, minute int, topic string, off int64) Observation {
	ob := obAt(series, minute, float64(minute), 0, off)
	ob.Source.Topic = topic
	return ob
}

func TestStepRules(t *testing.T) {
	type step struct {
		ob   Observation
		want Status
	}
	tests := []struct {
		name  string
		steps []step
		count int64
	}{
		{"in order", []step{{obAt("s", 0, 1, 0, 0), Applied}, {obAt("s", 1, 2, 0, 1), Applied}}, 2},
		{"replayed offset", []step{{obAt("s", 2, 1, 0, 5), Applied}, {obAt("s", 2, 1, 0, 5), Duplicate}, {obAt("s", 1, 2, 0, 4), Duplicate}}, 1},
		// A replay can never be newer than the stored last event time: an
		// older offset with a newer time comes from a recreated topic.
		{"older offset newer time", []step{{obAt("s", 5, 1, 0, 100), Applied}, {obAt("s", 6, 2, 0, 0), Applied}, {obAt("s", 7, 2, 0, 1), Applied}, {obAt("s", 6, 2, 0, 1), Duplicate}}, 3},
		{"renamed topic uses time only", []step{{obIn("s", 5, "old", 100), Applied}, {obIn("s", 4, "new", 3), Late}, {obIn("s", 6, "new", 4), Applied}, {obIn("s", 6, "new", 4), Duplicate}}, 2},
		{"unnamed topic compares offsets", []step{{obIn("s", 5, "a", 10), Applied}, {obIn("s", 4, "", 3), Duplicate}, {obIn("s", 6, "", 11), Applied}, {obIn("s", 5, "a", 11), Duplicate}}, 2},
		{"duplicate wins over late", []step{{obAt("s", 5, 1, 0, 5), Applied}, {obAt("s", 1, 2, 0, 3), Duplicate}}, 1},
		{"late newer offset", []step{{obAt("s", 5, 1, 0, 5), Applied}, {obAt("s", 4, 2, 0, 6), Late}, {obAt("s", 5, 2, 0, 7), Late}, {obAt("s", 6, 2, 0, 8), Applied}}, 2},
		{"partition change uses time only", []step{{obAt("s", 5, 1, 0, 100), Applied}, {obAt("s", 6, 2, 1, 3), Applied}, {obAt("s", 7, 2, 0, 50), Applied}}, 3},
		{"partition change late", []step{{obAt("s", 5, 1, 0, 100), Applied}, {obAt("s", 5, 2, 1, 3), Late}}, 1},
		{"no source offset", []step{{obAt("s", 1, 1, 0, -1), Applied}, {obAt("s", 1, 1, 0, -1), Late}, {obAt("s", 2, 1, 0, -1), Applied}}, 2},
		{"invalid value", []step{{obAt("s", 1, math.NaN(), 0, 0), Invalid}, {obAt("s", 2, math.Inf(1), 0, 1), Invalid}, {obAt("s", 3, 2e300, 0, 2), Invalid}, {obAt("s", 4, 1e300, 0, 3), Applied}}, 1},
		{"invalid series", []step{{obAt("", 1, 1, 0, 0), Invalid}, {obAt(strings.Repeat("x", MaxSeriesLen+1), 1, 1, 0, 0), Invalid}, {obAt("}x", 1, 1, 0, 0), Invalid}}, 0},
		{"offset too large", []step{{obAt("s", 1, 1, 0, 1<<53), Invalid}, {obAt("s", 1, 1, 0, 1<<53-1), Applied}}, 1},
		{"sub-millisecond times collapse", []step{
			{Observation{Series: "s", TS: t0.Add(100 * time.Microsecond), Value: 1, Source: SourcePos{Offset: 0}}, Applied},
			{Observation{Series: "s", TS: t0.Add(900 * time.Microsecond), Value: 1, Source: SourcePos{Offset: 1}}, Late},
		}, 1},
		{"invalid exog", []step{
			{Observation{Series: "s", TS: t0, Value: 1, Exog: map[string]float64{"": 1}}, Invalid},
			{Observation{Series: "s", TS: t0, Value: 1, Exog: map[string]float64{"a": math.NaN()}}, Invalid},
		}, 0},
	}
	cfg := DefaultConfig()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := NewState("s")
			for i, s := range tt.steps {
				before := *st
				if got := cfg.Step(st, &s.ob); got != s.want {
					t.Fatalf("step %d: status %v, want %v", i, got, s.want)
				}
				if s.want != Applied && st.Count != before.Count {
					t.Fatalf("step %d: skipped event changed the state", i)
				}
			}
			if st.Count != tt.count {
				t.Fatalf("count %d, want %d", st.Count, tt.count)
			}
		})
	}
}

func TestStepRingAndEWMA(t *testing.T) {
	cfg := DefaultConfig()
	cfg.History = 4
	cfg.Windows, cfg.Lags = []int{2}, []int{1}
	cfg.EWMAAlphas = []float64{0.5, 1}
	st := NewState("s")
	for i := range 6 {
		ob := obAt("s", i, float64(i+1), 0, int64(i))
		ob.Exog = map[string]float64{"temp": float64(10 * i)}
		if i == 2 {
			ob.Exog["rain"] = -0.0
		}
		if s := cfg.Step(st, &ob); s != Applied {
			t.Fatalf("step %d: %v", i, s)
		}
	}
	if want := []float64{3, 4, 5, 6}; !reflect.DeepEqual(st.Values, want) {
		t.Fatalf("values %v, want %v", st.Values, want)
	}
	wantTimes := []int64{}
	for i := 2; i < 6; i++ {
		wantTimes = append(wantTimes, t0.Add(time.Duration(i)*time.Minute).UnixMilli())
	}
	if !reflect.DeepEqual(st.Times, wantTimes) {
		t.Fatalf("times %v, want %v", st.Times, wantTimes)
	}
	// Over the stored window 3 4 5 6: e = 3, then e += 0.5*(x-e): 3.5, 4.25, 5.125.
	if st.EWMA[0] != 5.125 || st.EWMA[1] != 6 {
		t.Fatalf("ewma %v, want [5.125 6]", st.EWMA)
	}
	if st.Exog["temp"] != 50 || math.Signbit(st.Exog["rain"]) || len(st.Exog) != 2 {
		t.Fatalf("exog %v", st.Exog)
	}
	if st.Count != 6 || st.LastOffset != 5 || !st.LastTS.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("count %d offset %d ts %v", st.Count, st.LastOffset, st.LastTS)
	}
}

func TestOfflineMatchesPerSeriesSteps(t *testing.T) {
	cfg := DefaultConfig()
	cfg.History = 16
	cfg.Windows, cfg.Lags = []int{4, 16}, []int{1, 16}
	obs := randomStream(rand.New(rand.NewPCG(1, 2)), 5, 400)
	got := Offline(cfg, obs)
	for series, st := range got {
		want := NewState(series)
		for i := range obs {
			if obs[i].Series == series {
				cfg.Step(want, &obs[i])
			}
		}
		if d := st.Diff(want); d != "" {
			t.Fatalf("series %s: %s", series, d)
		}
		if len(st.Values) != min(int(st.Count), cfg.History) {
			t.Fatalf("series %s: %d values for count %d", series, len(st.Values), st.Count)
		}
	}
	if len(got) != 5 {
		t.Fatalf("%d series, want 5", len(got))
	}
	if Offline(Config{}, obs) != nil {
		t.Fatal("Offline with invalid config returned a map")
	}
}

func TestStateDiff(t *testing.T) {
	cfg := DefaultConfig()
	a := Offline(cfg, []Observation{obAt("s", 0, 1, 0, 0), obAt("s", 1, 2, 0, 1)})["s"]
	b := Offline(cfg, []Observation{obAt("s", 0, 1, 0, 0), obAt("s", 1, 2, 0, 1)})["s"]
	if d := a.Diff(b); d != "" {
		t.Fatalf("equal states differ: %s", d)
	}
	b.Values[1] = 3
	b.EWMA[0] = 0
	b.Exog["x"] = 1
	d := a.Diff(b)
	for _, w := range []string{"values[1]", "ewma[0]", "exog"} {
		if !strings.Contains(d, w) {
			t.Fatalf("Diff %q lacks %q", d, w)
		}
	}
	if (*State)(nil).Diff(nil) != "" || a.Diff(nil) == "" {
		t.Fatal("nil handling")
	}
}

// randomStream returns n observations over nSeries series with jittered
// times, duplicates (replayed offsets), late events, exogenous values and the
// occasional invalid value; offsets increase per partition like a log, and
// now and then restart at 0 (a recreated topic).
func randomStream(r *rand.Rand, nSeries, n int) []Observation {
	obs := make([]Observation, 0, n)
	offs := make([]int64, 4)
	lastMinute := make([]int, nSeries)
	for len(obs) < n {
		s := r.IntN(nSeries)
		part := s % 4
		series := "meter-" + string(rune('a'+s))
		switch k := r.IntN(200); {
		case k == 199: // the topic is recreated: this partition's offsets restart
			offs[part] = 0
			lastMinute[s] += 1 + r.IntN(90)
		case k < 10 && len(obs) > 0: // replay an earlier event verbatim
			obs = append(obs, obs[r.IntN(len(obs))])
			continue
		case k < 20: // late: time in the past, new offset
			lastMinute[s] -= r.IntN(3)
		default:
			lastMinute[s] += 1 + r.IntN(90)
		}
		v := math.Round(r.NormFloat64()*1000) / 7
		if r.IntN(50) == 0 {
			v = math.NaN()
		}
		ob := Observation{
			Series: series,
			TS:     t0.Add(time.Duration(lastMinute[s])*time.Minute + time.Duration(r.IntN(1000))*time.Microsecond),
			Value:  v,
			Source: SourcePos{Topic: "in", Partition: part, Offset: offs[part]},
		}
		offs[part]++
		if r.IntN(3) == 0 {
			ob.Exog = map[string]float64{"temp": r.Float64()*40 - 10}
			if r.IntN(2) == 0 {
				ob.Exog["price"] = r.ExpFloat64()
			}
		}
		obs = append(obs, ob)
	}
	return obs
}

func TestEWMAOver(t *testing.T) {
	cfg := Config{EWMAAlphas: []float64{0.5, 1, 0.1}}
	tests := []struct {
		values []float64
		want   []float64
	}{
		{[]float64{2}, []float64{2, 2, 2}},
		{[]float64{2, 4}, []float64{3, 4, 2.2}},
		{[]float64{1, 2, 3, 4, 5, 6}, []float64{5.03125, 6, 1 + 0.1 + 0.19 + 0.271 + 0.3439 + 0.40951}},
	}
	for _, tt := range tests {
		got := cfg.EWMAOver(tt.values, nil)
		for i := range tt.want {
			if math.Abs(got[i]-tt.want[i]) > 1e-12 {
				t.Errorf("EWMAOver(%v)[%d] = %v, want %v", tt.values, i, got[i], tt.want[i])
			}
		}
	}
	if got := cfg.EWMAOver(nil, nil); !math.IsNaN(got[0]) {
		t.Errorf("EWMAOver(empty) = %v, want NaN", got)
	}
	// With the default History the window EWMA equals the infinite-memory
	// recurrence: the seed's weight 0.9^1023 is far below one ulp.
	def := DefaultConfig()
	r := newRand(5)
	e := 0.0
	st := NewState("s")
	for i := range 5000 {
		x := r.NormFloat64()
		if i == 0 {
			e = x
		} else {
			e += float64(0.1 * (x - e))
		}
		def.step(st, &Observation{Series: "s", TS: time.UnixMilli(int64(i)), Value: x, Source: SourcePos{Offset: int64(i)}})
	}
	if got := def.EWMAOver(st.Values, nil)[0]; math.Abs(got-e) > 1e-12*math.Max(1, math.Abs(e)) {
		t.Fatalf("window EWMA %v vs infinite recurrence %v", got, e)
	}
}
