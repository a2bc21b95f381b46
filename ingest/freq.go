package ingest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Freq is the step between consecutive rows of a series: a fixed Step
// (milliseconds for timestamps, index units for integer ds) or a number of
// calendar Months (1 monthly, 3 quarterly, 12 yearly), anchored at month
// ends when MonthEnd is set and at the same day of the month otherwise.
// The zero Freq means unknown.
type Freq struct {
	Step     int64
	Months   int
	MonthEnd bool
}

// IsZero reports whether the frequency is unknown.
func (q Freq) IsZero() bool { return q.Step == 0 && q.Months == 0 }

// String renders q in the syntax ParseFreq reads for kind k: "1h", "15m",
// "1d", "7d", "MS", "M", "3MS", "12M"…, or the integer step.
func (q Freq) String() string { return q.Format(TimeStamp) }

// Format renders q for a frame of kind k.
func (q Freq) Format(k TimeKind) string {
	switch {
	case q.IsZero():
		return ""
	case q.Months > 0:
		s := "MS"
		if q.MonthEnd {
			s = "M"
		}
		if q.Months == 1 {
			return s
		}
		return strconv.Itoa(q.Months) + s
	case k == TimeInt:
		return strconv.FormatInt(q.Step, 10)
	case q.Step%msPerDay == 0:
		return strconv.FormatInt(q.Step/msPerDay, 10) + "d"
	}
	var b []byte
	rest := q.Step
	for _, u := range []struct {
		ms   int64
		name string
	}{{3_600_000, "h"}, {60_000, "m"}, {1000, "s"}, {1, "ms"}} {
		if n := rest / u.ms; n > 0 {
			b = strconv.AppendInt(b, n, 10)
			b = append(b, u.name...)
			rest -= n * u.ms
		}
	}
	return string(b)
}

// Duration returns the fixed step as a time.Duration (0 for calendar
// frequencies and integer time).
func (q Freq) Duration() time.Duration {
	return time.Duration(q.Step) * time.Millisecond
}

// ErrFreq marks an unreadable or unusable frequency.
var ErrFreq = errors.New("ingest: bad frequency")

// stepCount is how many consecutive rows are step apart.
type stepCount struct {
	step int64
	n    int
}

// countSteps counts the steps between consecutive rows of series
// [lo, hi) of f.
func countSteps(f *Frame, lo, hi int) []stepCount {
	counts := map[int64]int{}
	var last int64
	run := 0
	for s := lo; s < hi; s++ {
		t := f.Time[f.Offsets[s]:f.Offsets[s+1]]
		for i := 1; i < len(t); i++ {
			d := t[i] - t[i-1]
			if d == last {
				run++
				continue
			}
			if run > 0 {
				counts[last] += run
			}
			last, run = d, 1
		}
	}
	if run > 0 {
		counts[last] += run
	}
	out := make([]stepCount, 0, len(counts))
	for d, n := range counts {
		out = append(out, stepCount{d, n})
	}
	return out
}

// ParseFreq reads a frequency for a frame of kind k. Timestamps take Go
// durations ("1h", "15m", "90s") or pandas aliases with an optional
// multiple: H/h, D, W, T/min, S/s, L/ms, MS (month start), M/ME (month
// end), QS, Q/QE, YS/AS, Y/A/YE (anchors such as W-SUN are ignored).
// Integer time indexes take a positive integer.
func ParseFreq(s string, k TimeKind) (Freq, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Freq{}, fmt.Errorf("%w: empty", ErrFreq)
	}
	if k == TimeInt {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v <= 0 {
			return Freq{}, fmt.Errorf("%w: %q: integer time needs a positive integer step", ErrFreq, s)
		}
		return Freq{Step: v}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < time.Millisecond || d%time.Millisecond != 0 {
			return Freq{}, fmt.Errorf("%w: %q: need a positive whole number of milliseconds", ErrFreq, s)
		}
		return Freq{Step: d.Milliseconds()}, nil
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	mult := 1
	if i > 0 {
		m, err := strconv.Atoi(s[:i])
		if err != nil || m <= 0 {
			return Freq{}, fmt.Errorf("%w: %q", ErrFreq, s)
		}
		mult = m
	}
	alias, _, _ := strings.Cut(s[i:], "-")
	var q Freq
	switch alias {
	case "H", "h":
		q.Step = 3_600_000
	case "D", "d":
		q.Step = msPerDay
	case "W", "w":
		q.Step = 7 * msPerDay
	case "T", "min":
		q.Step = 60_000
	case "S", "s":
		q.Step = 1000
	case "L", "ms":
		q.Step = 1
	case "MS":
		q.Months = 1
	case "M", "ME":
		q.Months, q.MonthEnd = 1, true
	case "QS":
		q.Months = 3
	case "Q", "QE":
		q.Months, q.MonthEnd = 3, true
	case "YS", "AS":
		q.Months = 12
	case "Y", "A", "YE":
		q.Months, q.MonthEnd = 12, true
	default:
		return Freq{}, fmt.Errorf("%w: %q (want e.g. 1h, 15min, D, W, MS, M, Q, Y, or an integer for integer ds)", ErrFreq, s)
	}
	q.Step *= int64(mult)
	q.Months *= mult
	return q, nil
}

// Add returns t moved by n steps of q.
func (q Freq) Add(t int64, n int) int64 {
	if q.Months == 0 {
		return t + int64(n)*q.Step
	}
	days := floorDiv(t, msPerDay)
	rem := t - days*msPerDay
	y, m, d := civilFromDays(days)
	mm := (y*12 + m - 1) + int64(n*q.Months)
	y, m = floorDiv(mm, 12), mm-floorDiv(mm, 12)*12+1
	last := int64(daysIn(int(m), int(y)))
	if q.MonthEnd || d > last {
		d = last
	}
	return daysFromCivil(y, m, d)*msPerDay + rem
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// stepsBetween returns how many steps of q lead from a to b (a < b), and
// whether b lies exactly on q's grid from a.
func (q Freq) stepsBetween(a, b int64) (int64, bool) {
	if q.Months == 0 {
		d := b - a
		return d / q.Step, d%q.Step == 0
	}
	da, db := floorDiv(a, msPerDay), floorDiv(b, msPerDay)
	ya, ma, _ := civilFromDays(da)
	yb, mb, _ := civilFromDays(db)
	months := (yb-ya)*12 + mb - ma
	if months <= 0 || months%int64(q.Months) != 0 {
		return 0, false
	}
	n := months / int64(q.Months)
	return n, q.Add(a, int(n)) == b
}

// InferFreq returns the most common step between consecutive rows over all
// series of f (ties: the smaller). For timestamps, steps of 28-31 days,
// 89-92 days and 365-366 days become calendar months, quarters and years,
// anchored at month ends when every time is the last day of its month.
// It returns the zero Freq when no series has two rows.
func InferFreq(f *Frame) Freq {
	// Each part counts the steps of its series; the counts add up.
	var parts [][]stepCount
	var mu sync.Mutex
	forSeriesParts(f.Offsets, func(_, lo, hi int) {
		c := countSteps(f, lo, hi)
		mu.Lock()
		parts = append(parts, c)
		mu.Unlock()
	})
	counts := map[int64]int{}
	for _, c := range parts {
		for _, x := range c {
			counts[x.step] += x.n
		}
	}
	var best int64
	bestN := 0
	for d, n := range counts {
		if n > bestN || (n == bestN && d < best) {
			best, bestN = d, n
		}
	}
	if bestN == 0 {
		return Freq{}
	}
	if f.TimeKind != TimeStamp || best%msPerDay != 0 {
		return Freq{Step: best}
	}
	days := best / msPerDay
	months := 0
	switch {
	case days >= 28 && days <= 31:
		months = 1
	case days >= 89 && days <= 92:
		months = 3
	case days >= 365 && days <= 366:
		months = 12
	default:
		return Freq{Step: best}
	}
	end := true
	for _, t := range f.Time {
		y, m, d := civilFromDays(floorDiv(t, msPerDay))
		if d != int64(daysIn(int(m), int(y))) {
			end = false
			break
		}
	}
	return Freq{Months: months, MonthEnd: end}
}
