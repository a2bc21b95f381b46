package features

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Model inputs. A neural model reads derived features at every step of its
// input window (NeuralForecast's hist_exog_list) and calendar features at
// every step of the input window and the horizon (futr_exog_list). The
// functions below compute them from a value history with the same code
// online (from the Redis ring) and offline (from a file), so a model
// trained offline sees exactly what it sees online.
//
// Every feature at step s reads at most Span values ending at s (see
// WindowFeature.Span): rolling statistics over W values, lag K, and
// EWMAs over a finite span E(α) = ⌈ln(1e-6)/ln(1−α)⌉ (at least 1) seeded
// with the span's first value, so that the neglected weight (1−α)^E is at
// most 1e-6. Online and offline values are therefore identical whenever
// the stored history holds the input window plus Span−1 earlier values
// (History ≥ input_size + Span − 1), or the whole series.

// WindowKind is the kind of a model-input feature.
type WindowKind uint8

// Feature kinds.
const (
	KindMean WindowKind = iota + 1
	KindStd
	KindMin
	KindMax
	KindLag
	KindEWMA
	KindCalendar
)

// WindowFeature is one parsed model-input feature name.
type WindowFeature struct {
	Name  string
	Kind  WindowKind
	N     int     // window W, lag K, or EWMA span E
	Alpha float64 // EWMA only
	cal   int     // index into calendarNames (KindCalendar)
}

// Span is the number of values up to and including a step that the
// feature reads (0 for calendar features, which read only the time).
func (f WindowFeature) Span() int {
	if f.Kind == KindCalendar {
		return 0
	}
	return f.N
}

// Calendar reports whether f is a calendar feature (future-known).
func (f WindowFeature) Calendar() bool { return f.Kind == KindCalendar }

var calendarNames = [9]string{"hour", "dow", "month", "hour_sin", "hour_cos", "dow_sin", "dow_cos", "month_sin", "month_cos"}

// CalendarNames lists the calendar features, in FeatureNames order.
func CalendarNames() []string { return append([]string(nil), calendarNames[:]...) }

// maxSpan bounds W, K and E.
const maxSpan = MaxHistory

// EWMASpan returns E(α) = ⌈ln(1e-6)/ln(1−α)⌉, at least 1 (1 for α = 1).
func EWMASpan(alpha float64) int {
	if alpha >= 1 {
		return 1
	}
	e := math.Ceil(math.Log(1e-6) / math.Log1p(-alpha))
	return int(max(1, min(e, maxSpan)))
}

// ParseWindowFeature parses a feature name of FeatureNames' vocabulary:
// mean_W, std_W, min_W, max_W, lag_K, ewma_A, or a calendar name.
// (exog_NAME, the last value of a message variable, is not a per-step
// input; variables kept per step, Config.StepExog, are read by their name.)
func ParseWindowFeature(name string) (WindowFeature, error) {
	for i, c := range calendarNames {
		if name == c {
			return WindowFeature{Name: name, Kind: KindCalendar, cal: i}, nil
		}
	}
	pre, arg, ok := strings.Cut(name, "_")
	if !ok {
		return WindowFeature{}, fmt.Errorf("features: unknown feature %q (mean_W, std_W, min_W, max_W, lag_K, ewma_A or %v)", name, calendarNames)
	}
	if pre == "exog" {
		return WindowFeature{}, fmt.Errorf("features: %q is the last value of a message variable, not a per-step input; keep the variable per step (--step-exog %s) and name it %q in the model's inputs", name, arg, arg)
	}
	if pre == "ewma" {
		a, err := strconv.ParseFloat(arg, 64)
		if err != nil || !(a > 0 && a <= 1) {
			return WindowFeature{}, fmt.Errorf("features: %q: EWMA alpha must be in (0, 1]", name)
		}
		return WindowFeature{Name: name, Kind: KindEWMA, N: EWMASpan(a), Alpha: a}, nil
	}
	kinds := map[string]WindowKind{"mean": KindMean, "std": KindStd, "min": KindMin, "max": KindMax, "lag": KindLag}
	k, ok := kinds[pre]
	if !ok {
		return WindowFeature{}, fmt.Errorf("features: unknown feature %q (mean_W, std_W, min_W, max_W, lag_K, ewma_A or %v)", name, calendarNames)
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 || n > maxSpan {
		return WindowFeature{}, fmt.Errorf("features: %q: window or lag must be an integer in [1, %d]", name, maxSpan)
	}
	return WindowFeature{Name: name, Kind: k, N: n}, nil
}

// ParseWindowFeatures parses every name (see ParseWindowFeature).
func ParseWindowFeatures(names []string) ([]WindowFeature, error) {
	out := make([]WindowFeature, len(names))
	for i, n := range names {
		f, err := ParseWindowFeature(n)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// MaxSpan returns the largest Span of fs (0 when empty).
func MaxSpan(fs []WindowFeature) int {
	s := 0
	for _, f := range fs {
		s = max(s, f.Span())
	}
	return s
}

// HistWindow writes the derived features fs at the last L steps of values
// (oldest first) into dst, step-major: dst[t·len(fs)+k] is feature k at
// step len(values)−L+t. Steps before the first value (a history shorter
// than L) and features without any value in their span are 0, matching
// the zero padding of the target window. Over the values x_{a..s} of a
// step's span (a = max(0, s−N+1)):
//
//	mean = Σx/n, std = sqrt(Σ(x−mean)²/n), min, max;
//	lag K = x_{s−K+1} (0 if s−K+1 < 0); ewma: e_a = x_a, e_i = e_{i−1} + α(x_i − e_{i−1}).
//
// Calendar features in fs are not allowed here (use CalendarWindow); they
// panic. len(dst) must be L·len(fs).
func HistWindow(dst []float32, fs []WindowFeature, values []float64, L int) {
	nf := len(fs)
	if len(dst) != L*nf {
		panic(fmt.Sprintf("features: HistWindow dst has %d values, want %d×%d", len(dst), L, nf))
	}
	n := len(values)
	for t := 0; t < L; t++ {
		s := n - L + t
		row := dst[t*nf : (t+1)*nf]
		if s < 0 {
			clear(row)
			continue
		}
		for k, f := range fs {
			row[k] = float32(stepFeature(f, values, s))
		}
	}
}

// stepFeature computes f at step s of values.
func stepFeature(f WindowFeature, values []float64, s int) float64 {
	switch f.Kind {
	case KindLag:
		if i := s - f.N + 1; i >= 0 {
			return values[i]
		}
		return 0
	case KindEWMA:
		a := max(0, s-f.N+1)
		e := values[a]
		for _, x := range values[a+1 : s+1] {
			e += float64(f.Alpha * (x - e))
		}
		return e
	case KindCalendar:
		panic("features: calendar feature " + f.Name + " in a historical window")
	}
	mean, std, lo, hi := windowStats(values[max(0, s-f.N+1) : s+1])
	switch f.Kind {
	case KindMean:
		return mean
	case KindStd:
		return std
	case KindMin:
		return lo
	default:
		return hi
	}
}

// CalendarWindow writes the calendar features fs (all KindCalendar) at
// the n times first, first+step, …, first+(n−1)·step into dst,
// time-major: dst[t·len(fs)+k]. The model's future-known window starts
// L−1 steps before the last observation and runs H steps past it.
func CalendarWindow(dst []float32, fs []WindowFeature, first time.Time, step time.Duration, n int) {
	nf := len(fs)
	if len(dst) != n*nf {
		panic(fmt.Sprintf("features: CalendarWindow dst has %d values, want %d×%d", len(dst), n, nf))
	}
	var c [9]float64
	for t := 0; t < n; t++ {
		calendarAt(c[:0], first.Add(time.Duration(t)*step))
		row := dst[t*nf : (t+1)*nf]
		for k, f := range fs {
			if f.Kind != KindCalendar {
				panic("features: " + f.Name + " is not a calendar feature")
			}
			row[k] = float32(c[f.cal])
		}
	}
}

// SeriesInputs computes a model's exogenous inputs at every step of a
// whole series for offline training, with the same code as the stream:
// hist[v][s] is historical feature hist[v] at step s (HistWindow over the
// series), futr[v][s] calendar feature futr[v] at times[s]. hist names
// derived features, futr calendar features (see ParseWindowFeature).
func SeriesInputs(histNames, futrNames []string, values []float64, times []time.Time) (hist, futr [][]float64, err error) {
	if len(times) != len(values) {
		return nil, nil, fmt.Errorf("features: %d times for %d values", len(times), len(values))
	}
	hf, err := ParseWindowFeatures(histNames)
	if err != nil {
		return nil, nil, err
	}
	ff, err := ParseWindowFeatures(futrNames)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range hf {
		if f.Calendar() {
			return nil, nil, fmt.Errorf("features: %s is a calendar feature, known for the horizon: list it as future-known", f.Name)
		}
	}
	for _, f := range ff {
		if !f.Calendar() {
			return nil, nil, fmt.Errorf("features: %s is not known for the horizon; only calendar features are future-known (%v)", f.Name, calendarNames)
		}
	}
	T := len(values)
	if len(hf) > 0 {
		m := make([]float32, T*len(hf))
		HistWindow(m, hf, values, T)
		hist = columns(m, T, len(hf))
	}
	if len(ff) > 0 {
		m := make([]float32, T*len(ff))
		var c [9]float64
		for s, t := range times {
			calendarAt(c[:0], t)
			for k, f := range ff {
				m[s*len(ff)+k] = float32(c[f.cal])
			}
		}
		futr = columns(m, T, len(ff))
	}
	return hist, futr, nil
}

// columns splits a T×n time-major matrix into n columns.
func columns(m []float32, T, n int) [][]float64 {
	out := make([][]float64, n)
	for k := range out {
		col := make([]float64, T)
		for s := range col {
			col[s] = float64(m[s*n+k])
		}
		out[k] = col
	}
	return out
}

// StepExogColumn appends to dst[:0] variable col of per-step rows
// (len(rows)/e steps of e values, as State.ExogSteps) with each missing
// value (NaN) replaced by the previous step's value, 0 before any: the
// historical input a model reads from a message variable.
func StepExogColumn(dst, rows []float64, e, col int) []float64 {
	dst = dst[:0]
	prev := 0.0
	for s := col; s < len(rows); s += e {
		if v := rows[s]; !math.IsNaN(v) {
			prev = v
		}
		dst = append(dst, prev)
	}
	return dst
}
