package features_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/streamcast/streamcast/features"
)

func TestParseWindowFeature(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind features.WindowKind
		span int
		bad  bool
	}{
		{"mean_24", features.KindMean, 24, false},
		{"std_168", features.KindStd, 168, false},
		{"min_3", features.KindMin, 3, false},
		{"max_3", features.KindMax, 3, false},
		{"lag_24", features.KindLag, 24, false},
		{"ewma_0.5", features.KindEWMA, 20, false}, // 0.5^20 < 1e-6 < 0.5^19
		{"ewma_1", features.KindEWMA, 1, false},
		{"hour_sin", features.KindCalendar, 0, false},
		{"month", features.KindCalendar, 0, false},
		{"mean_0", 0, 0, true},
		{"lag_x", 0, 0, true},
		{"ewma_0", 0, 0, true},
		{"ewma_1.5", 0, 0, true},
		{"median_3", 0, 0, true},
		{"exog_temp", 0, 0, true},
		{"hour2", 0, 0, true},
	} {
		f, err := features.ParseWindowFeature(tc.name)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: no error", tc.name)
			}
			continue
		}
		if err != nil || f.Kind != tc.kind || f.Span() != tc.span {
			t.Errorf("%s: %+v span %d, %v; want kind %d span %d", tc.name, f, f.Span(), err, tc.kind, tc.span)
		}
	}
}

func randomWalk(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	v := make([]float64, n)
	x := 10.0
	for i := range v {
		x += rng.NormFloat64()
		v[i] = x
	}
	return v
}

// The last row of HistWindow equals Features of a state holding the same
// values, for every feature whose span the values cover.
func TestHistWindowLastStepMatchesFeatures(t *testing.T) {
	cfg := features.DefaultConfig()
	cfg.EWMAAlphas = []float64{0.5}
	vals := randomWalk(300, 1)
	st := &features.State{Values: vals, Count: int64(len(vals)), LastTS: time.Unix(0, 0)}
	want := cfg.Features(st, nil)
	names := cfg.FeatureNames()
	var fs []features.WindowFeature
	var idx []int
	for i, n := range names {
		f, err := features.ParseWindowFeature(n)
		if err != nil || f.Calendar() {
			continue
		}
		fs = append(fs, f)
		idx = append(idx, i)
	}
	L := 5
	dst := make([]float32, L*len(fs))
	features.HistWindow(dst, fs, vals, L)
	last := dst[(L-1)*len(fs):]
	for k, f := range fs {
		w := want[idx[k]]
		if f.Kind == features.KindEWMA {
			// bounded span vs the whole history: within the neglected weight
			if d := math.Abs(float64(last[k]) - w); d > 1e-5*math.Abs(w)+1e-5 {
				t.Errorf("%s: %v vs Features %v", f.Name, last[k], w)
			}
			continue
		}
		if last[k] != float32(w) {
			t.Errorf("%s: %v vs Features %v", f.Name, last[k], float32(w))
		}
	}
	// an earlier row is the last row of a shorter history
	short := make([]float32, 1*len(fs))
	features.HistWindow(short, fs, vals[:len(vals)-2], 1)
	for k := range fs {
		if short[k] != dst[(L-3)*len(fs)+k] {
			t.Fatalf("row L-3 differs from the last row of the history cut two steps earlier")
		}
	}
}

// Online (the ring of History values) and offline (the whole series) give
// identical model inputs once History >= L + Span - 1.
func TestHistWindowOnlineEqualsOffline(t *testing.T) {
	fs, err := features.ParseWindowFeatures([]string{"mean_24", "std_168", "min_24", "max_168", "lag_24", "ewma_0.1", "ewma_0.5"})
	if err != nil {
		t.Fatal(err)
	}
	L := 168
	history := L + features.MaxSpan(fs) - 1
	series := randomWalk(2000, 2)
	for _, end := range []int{10, 400, 1337, 2000} {
		off := make([]float32, L*len(fs))
		features.HistWindow(off, fs, series[:end], L)
		ring := series[max(0, end-history):end]
		on := make([]float32, L*len(fs))
		features.HistWindow(on, fs, ring, L)
		for i := range on {
			if on[i] != off[i] && !(math.IsNaN(float64(on[i])) && math.IsNaN(float64(off[i]))) {
				t.Fatalf("end %d: value %d online %v offline %v", end, i, on[i], off[i])
			}
		}
		// one value fewer in the ring breaks it for the oldest step (mutation check)
		if end > history {
			features.HistWindow(on, fs, series[end-history+1:end], L)
			same := true
			for i := range on {
				same = same && on[i] == off[i]
			}
			if same {
				t.Fatalf("end %d: a ring one value short still matches; the span bound is not exercised", end)
			}
		}
	}
}

func TestHistWindowShortHistoryIsZeroPadded(t *testing.T) {
	fs, _ := features.ParseWindowFeatures([]string{"mean_3", "lag_2"})
	dst := make([]float32, 4*2)
	for i := range dst {
		dst[i] = 99
	}
	features.HistWindow(dst, fs, []float64{1, 3}, 4)
	want := []float32{0, 0, 0, 0, 1, 0, 2, 1}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("got %v want %v", dst, want)
		}
	}
}

func TestCalendarWindow(t *testing.T) {
	fs, _ := features.ParseWindowFeatures([]string{"hour", "dow", "month", "hour_sin"})
	dst := make([]float32, 3*4)
	first := time.Date(2026, 12, 31, 22, 0, 0, 0, time.UTC) // Thursday
	features.CalendarWindow(dst, fs, first, time.Hour, 3)
	want := []float32{22, 4, 12, float32(math.Sin(2 * math.Pi * 22 / 24)),
		23, 4, 12, float32(math.Sin(2 * math.Pi * 23 / 24)),
		0, 5, 1, 0}
	for i := range want {
		if math.Abs(float64(dst[i]-want[i])) > 1e-6 {
			t.Fatalf("got %v want %v", dst, want)
		}
	}
	// agrees with Features' calendar part at the same time
	cfg := features.DefaultConfig()
	st := &features.State{Count: 1, LastTS: first.Add(time.Hour), Values: []float64{1}}
	fv := cfg.Features(st, nil)
	names := cfg.FeatureNames()
	for k, f := range fs {
		for i, n := range names {
			if n == f.Name && float32(fv[i]) != dst[4+k] {
				t.Errorf("%s: %v vs Features %v", n, dst[4+k], fv[i])
			}
		}
	}
}

// SeriesInputs over a whole series equals, step by step, the online
// window computed from the ring at that step.
func TestSeriesInputsEqualOnlineWindows(t *testing.T) {
	histNames := []string{"mean_24", "lag_24", "ewma_0.5"}
	futrNames := []string{"hour_sin", "dow_cos"}
	values := randomWalk(500, 3)
	t0 := time.Date(2016, 7, 1, 0, 0, 0, 0, time.UTC)
	times := make([]time.Time, len(values))
	for i := range times {
		times[i] = t0.Add(time.Duration(i) * time.Hour)
	}
	hist, futr, err := features.SeriesInputs(histNames, futrNames, values, times)
	if err != nil {
		t.Fatal(err)
	}
	hf, _ := features.ParseWindowFeatures(histNames)
	ff, _ := features.ParseWindowFeatures(futrNames)
	L, H := 48, 12
	history := L + features.MaxSpan(hf) - 1
	for _, end := range []int{60, 200, 488} {
		on := make([]float32, L*len(hf))
		features.HistWindow(on, hf, values[max(0, end-history):end], L)
		cal := make([]float32, (L+H)*len(ff))
		features.CalendarWindow(cal, ff, times[end-1].Add(-time.Duration(L-1)*time.Hour), time.Hour, L+H)
		for tt := range L {
			s := end - L + tt
			for k := range hf {
				if float32(hist[k][s]) != on[tt*len(hf)+k] {
					t.Fatalf("end %d step %d %s: offline %v online %v", end, s, histNames[k], hist[k][s], on[tt*len(hf)+k])
				}
			}
		}
		for tt := range L + H {
			s := end - L + tt
			for k := range ff {
				if float32(futr[k][s]) != cal[tt*len(ff)+k] {
					t.Fatalf("end %d step %d %s: offline %v online %v", end, s, futrNames[k], futr[k][s], cal[tt*len(ff)+k])
				}
			}
		}
	}
	if _, _, err := features.SeriesInputs([]string{"hour"}, nil, values, times); err == nil {
		t.Error("calendar feature as historical: no error")
	}
	if _, _, err := features.SeriesInputs(nil, []string{"lag_1"}, values, times); err == nil {
		t.Error("lag as future-known: no error")
	}
}
