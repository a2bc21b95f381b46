package ingest

import (
	"fmt"
	"runtime"
	"strings"
)

// Fill is the policy for rows missing from a series' regular grid.
type Fill string

// Fill policies. A filled row takes the grid time; its target and
// exogenous values come from the policy.
const (
	// FillNone keeps the series as they are (gaps are only reported).
	FillNone Fill = "none"
	// FillFfill repeats the last value before the gap.
	FillFfill Fill = "ffill"
	// FillZero writes 0.
	FillZero Fill = "zero"
	// FillInterpolate draws a straight line between the values on both
	// sides of the gap: v = a + (b − a)·k/(m + 1) for the k-th of m missing
	// rows.
	FillInterpolate Fill = "interpolate"
)

// ParseFill reads a fill policy ("" means none).
func ParseFill(s string) (Fill, error) {
	switch Fill(s) {
	case "", FillNone:
		return FillNone, nil
	case FillFfill, FillZero, FillInterpolate:
		return Fill(s), nil
	}
	return "", fmt.Errorf("ingest: fill policy %q: want none, ffill, zero or interpolate", s)
}

// Gap is a stretch of missing rows (Missing > 0) or, with Missing == 0,
// a step that is not a whole number of frequency steps (off the grid).
type Gap struct {
	Series string
	// After and Before are the times of the rows on both sides.
	After, Before int64
	Missing       int64
}

// GapReport summarises the gaps of a frame.
type GapReport struct {
	Freq Freq
	// Gaps counts stretches of missing rows, Missing the rows missing in
	// all of them, Series the series with at least one gap.
	Gaps, Missing int64
	Series        int
	// OffGrid counts steps that do not land on the frequency's grid.
	OffGrid int64
	// Examples holds the first gaps and off-grid steps (at most 10).
	Examples []Gap
	// Filled is the number of rows added by the fill policy.
	Filled int64

	firstOff Gap // first off-grid step
}

// String is a one-paragraph human summary naming a few examples.
func (g *GapReport) String(k TimeKind) string {
	if g.Gaps == 0 && g.OffGrid == 0 {
		return fmt.Sprintf("frequency %s: no gaps", g.Freq.Format(k))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "frequency %s: %d gaps (%d missing rows) in %d series", g.Freq.Format(k), g.Gaps, g.Missing, g.Series)
	if g.OffGrid > 0 {
		fmt.Fprintf(&b, ", %d steps off the frequency grid", g.OffGrid)
	}
	if g.Filled > 0 {
		fmt.Fprintf(&b, "; %d rows filled", g.Filled)
	}
	for i, e := range g.Examples {
		if i == 3 {
			fmt.Fprintf(&b, "; …")
			break
		}
		if e.Missing > 0 {
			fmt.Fprintf(&b, "; %s: %d missing between %s and %s", e.Series, e.Missing, FormatTime(e.After, k), FormatTime(e.Before, k))
		} else {
			fmt.Fprintf(&b, "; %s: off-grid step from %s to %s", e.Series, FormatTime(e.After, k), FormatTime(e.Before, k))
		}
	}
	return b.String()
}

// FindGaps reports the gaps of every series of f on frequency q (which must
// not be zero).
func FindGaps(f *Frame, q Freq) *GapReport {
	// Parts of the series are scanned concurrently and their reports
	// joined in series order.
	parts := make([]*GapReport, max(1, min(len(f.IDs), runtime.GOMAXPROCS(0))))
	n := forSeriesParts(f.Offsets, func(p, lo, hi int) {
		parts[p] = findGaps(f, q, lo, hi)
	})
	g := &GapReport{Freq: q}
	for _, r := range parts[:n] {
		if r.OffGrid > 0 && g.OffGrid == 0 {
			g.firstOff = r.firstOff
		}
		g.Gaps += r.Gaps
		g.Missing += r.Missing
		g.Series += r.Series
		g.OffGrid += r.OffGrid
		g.Examples = append(g.Examples, r.Examples[:min(len(r.Examples), 10-len(g.Examples))]...)
	}
	return g
}

// findGaps is FindGaps on series [lo, hi).
func findGaps(f *Frame, q Freq, lo, hi int) *GapReport {
	g := &GapReport{Freq: q}
	for s := lo; s < hi; s++ {
		id := f.IDs[s]
		t := f.Time[f.Offsets[s]:f.Offsets[s+1]]
		had := false
		for i := 1; i < len(t); i++ {
			if q.Months == 0 {
				if t[i]-t[i-1] == q.Step { // q.Add(t[i-1], 1) == t[i], inlined
					continue
				}
			} else if q.Add(t[i-1], 1) == t[i] {
				continue
			}
			n, ok := q.stepsBetween(t[i-1], t[i])
			e := Gap{Series: id, After: t[i-1], Before: t[i]}
			if ok && n > 1 {
				e.Missing = n - 1
				g.Gaps++
				g.Missing += n - 1
				had = true
			} else {
				if g.OffGrid == 0 {
					g.firstOff = e
				}
				g.OffGrid++
			}
			if len(g.Examples) < 10 {
				g.Examples = append(g.Examples, e)
			}
		}
		if had {
			g.Series++
		}
	}
	return g
}

// FillGaps returns f with the missing rows of rep (from FindGaps on the
// same frame) added under policy p; f itself is returned when nothing is
// missing or p is FillNone. Steps off the grid cannot be filled and are an
// error.
func FillGaps(f *Frame, rep *GapReport, p Fill) (*Frame, error) {
	if p == FillNone || p == "" {
		return f, nil
	}
	if rep.OffGrid > 0 {
		e := rep.firstOff
		return nil, fmt.Errorf("%s: %w: cannot --fill %s: series %q steps from %s to %s, off the %s grid",
			f.Source, ErrFileFormat, p, e.Series, f.FormatTime(e.After), f.FormatTime(e.Before), rep.Freq.Format(f.TimeKind))
	}
	if rep.Missing == 0 {
		return f, nil
	}
	q := rep.Freq
	n := len(f.Time) + int(rep.Missing)
	out := &Frame{IDs: f.IDs, Offsets: make([]int, len(f.IDs)+1), TimeKind: f.TimeKind, ExogNames: f.ExogNames,
		Freq: f.Freq, Source: f.Source, Time: make([]int64, 0, n)}
	cols := make([][]float64, 0, 1+len(f.Exog)) // old columns: y first when present
	if f.Y != nil {
		cols = append(cols, f.Y)
	}
	cols = append(cols, f.Exog...)
	newCols := make([][]float64, len(cols))
	for j := range newCols {
		newCols[j] = make([]float64, 0, n)
	}
	for s := range f.IDs {
		lo, hi := f.Offsets[s], f.Offsets[s+1]
		out.Offsets[s] = len(out.Time)
		for r := lo; r < hi; r++ {
			if r > lo && q.Add(f.Time[r-1], 1) != f.Time[r] {
				m, _ := q.stepsBetween(f.Time[r-1], f.Time[r])
				m-- // missing rows
				for k := int64(1); k <= m; k++ {
					out.Time = append(out.Time, q.Add(f.Time[r-1], int(k)))
					for j, c := range cols {
						a, b := c[r-1], c[r]
						var v float64
						switch p {
						case FillFfill:
							v = a
						case FillZero:
							v = 0
						case FillInterpolate:
							v = a + (b-a)*(float64(k)/float64(m+1))
						}
						newCols[j] = append(newCols[j], v)
					}
				}
			}
			out.Time = append(out.Time, f.Time[r])
			for j, c := range cols {
				newCols[j] = append(newCols[j], c[r])
			}
		}
	}
	out.Offsets[len(f.IDs)] = len(out.Time)
	if f.Y != nil {
		out.Y, newCols = newCols[0], newCols[1:]
	}
	out.Exog = newCols
	rep.Filled = rep.Missing
	return out, nil
}
