package ingest

import (
	"errors"
	"fmt"
	"math"
)

// Frame is a long-format panel of series in columns, NeuralForecast's
// (unique_id, ds, y, exogenous…) layout held without per-row overhead: the
// rows of series i are [Offsets[i], Offsets[i+1]), sorted by time, and every
// column is one contiguous slice over all rows. A row costs
// 8·(2 + len(Exog)) bytes; ids are stored once per series.
type Frame struct {
	// IDs are the series ids in order of first appearance in the file.
	IDs []string
	// Offsets has len(IDs)+1 entries; Offsets[len(IDs)] is the row count.
	Offsets []int
	// Time holds each row's time: unix milliseconds (TimeKind TimeStamp)
	// or the integer ds (TimeInt). Strictly increasing within a series.
	Time     []int64
	TimeKind TimeKind
	// Y holds the target; nil for frames read without one (future
	// exogenous files).
	Y []float64
	// ExogNames names the exogenous columns, Exog[j] holding column j for
	// every row.
	ExogNames []string
	Exog      [][]float64
	// Freq is the frequency (given or inferred; zero when unknown, e.g. a
	// single row per series).
	Freq Freq
	// Source names the file the frame was read from (for messages).
	Source string
}

// Series is a view of one series' rows inside a Frame (no copies).
type Series struct {
	ID   string
	Time []int64
	Y    []float64   // nil without a target
	Exog [][]float64 // parallel to Frame.ExogNames
}

// Len returns the number of rows.
func (f *Frame) Len() int { return len(f.Time) }

// NumSeries returns the number of series.
func (f *Frame) NumSeries() int { return len(f.IDs) }

// Series returns a view of series i. exog, if non-nil, is reused for the
// view's Exog slice.
func (f *Frame) Series(i int, exog [][]float64) Series {
	lo, hi := f.Offsets[i], f.Offsets[i+1]
	s := Series{ID: f.IDs[i], Time: f.Time[lo:hi:hi]}
	if f.Y != nil {
		s.Y = f.Y[lo:hi:hi]
	}
	s.Exog = exog[:0]
	for _, c := range f.Exog {
		s.Exog = append(s.Exog, c[lo:hi:hi])
	}
	return s
}

// Index returns the position of series id (a linear search; build a map for
// repeated look-ups).
func (f *Frame) Index(id string) (int, bool) {
	for i, s := range f.IDs {
		if s == id {
			return i, true
		}
	}
	return -1, false
}

// ExogIndex returns the column index of an exogenous variable.
func (f *Frame) ExogIndex(name string) (int, bool) {
	for i, s := range f.ExogNames {
		if s == name {
			return i, true
		}
	}
	return -1, false
}

// Values returns the target of every series (views into Y, in IDs order),
// the input of train.Fit.
func (f *Frame) Values() [][]float64 {
	out := make([][]float64, len(f.IDs))
	for i := range out {
		out[i] = f.Y[f.Offsets[i]:f.Offsets[i+1]:f.Offsets[i+1]]
	}
	return out
}

// FormatTime renders t in the frame's time kind (see FormatTime).
func (f *Frame) FormatTime(t int64) string { return FormatTime(t, f.TimeKind) }

// Validate checks the frame's invariants: offsets cover the rows, times
// strictly increase within each series, every value is finite, columns have
// one entry per row and ids are unique and non-empty.
func (f *Frame) Validate() error {
	n := len(f.Time)
	if len(f.Offsets) != len(f.IDs)+1 || f.Offsets[0] != 0 || f.Offsets[len(f.IDs)] != n {
		return fmt.Errorf("%w: %d offsets for %d series and %d rows", ErrFrame, len(f.Offsets), len(f.IDs), n)
	}
	if f.Y != nil && len(f.Y) != n {
		return fmt.Errorf("%w: %d targets for %d rows", ErrFrame, len(f.Y), n)
	}
	if len(f.Exog) != len(f.ExogNames) {
		return fmt.Errorf("%w: %d exogenous columns, %d names", ErrFrame, len(f.Exog), len(f.ExogNames))
	}
	for j, c := range f.Exog {
		if len(c) != n {
			return fmt.Errorf("%w: exogenous %q has %d values for %d rows", ErrFrame, f.ExogNames[j], len(c), n)
		}
	}
	seen := make(map[string]bool, len(f.IDs))
	for i, id := range f.IDs {
		if id == "" || seen[id] {
			return fmt.Errorf("%w: series %d has an empty or repeated id %q", ErrFrame, i, id)
		}
		seen[id] = true
		lo, hi := f.Offsets[i], f.Offsets[i+1]
		if hi <= lo {
			return fmt.Errorf("%w: series %q has no rows", ErrFrame, id)
		}
		for r := lo + 1; r < hi; r++ {
			if f.Time[r] <= f.Time[r-1] {
				return fmt.Errorf("%w: series %q: time %s does not follow %s", ErrFrame, id, f.FormatTime(f.Time[r]), f.FormatTime(f.Time[r-1]))
			}
		}
	}
	check := func(what string, c []float64) error {
		for r, v := range c {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: %s is %v at row %d", ErrFrame, what, v, r)
			}
		}
		return nil
	}
	if err := check("y", f.Y); err != nil {
		return err
	}
	for j, c := range f.Exog {
		if err := check(f.ExogNames[j], c); err != nil {
			return err
		}
	}
	return nil
}

// ErrFrame marks a Frame whose invariants do not hold.
var ErrFrame = errors.New("ingest: invalid frame")

// RowError is a bad row of a data file: the file, its 1-based line (or row
// number for Parquet), and what is wrong. It wraps ErrFileFormat.
type RowError struct {
	File string
	Line int64
	// Kind is "line" for text files and "row" for Parquet.
	Kind string
	Msg  string
}

func (e *RowError) Error() string {
	kind := e.Kind
	if kind == "" {
		kind = "line"
	}
	if e.File == "" {
		return fmt.Sprintf("%v: %s %d: %s", ErrFileFormat, kind, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %v: %s %d: %s", e.File, ErrFileFormat, kind, e.Line, e.Msg)
}

// Unwrap returns ErrFileFormat.
func (e *RowError) Unwrap() error { return ErrFileFormat }
