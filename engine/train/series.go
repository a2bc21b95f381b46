package train

import (
	"fmt"
	"math"

	"github.com/streamcast/streamcast/engine/model"
)

// Series is one training series with its exogenous variables, in the
// order of the model's futr_exog_list, hist_exog_list and stat_exog_list.
type Series struct {
	// Y holds the target values, oldest first.
	Y []float64
	// Futr[v] holds future-known variable v at every step of Y (len(Y)
	// values each).
	Futr [][]float64
	// Hist[v] holds historical variable v at every step of Y.
	Hist [][]float64
	// Stat holds the static variables.
	Stat []float64
}

// Univariate wraps plain value series as Series without exogenous variables.
func Univariate(series [][]float64) []Series {
	out := make([]Series, len(series))
	for i, s := range series {
		out[i] = Series{Y: s}
	}
	return out
}

// seriesData is a Series in float32, exogenous variables time-major
// (T×F, T×X) as the model batches want them.
type seriesData struct {
	y, futr, hist, stat []float32
}

// slice returns steps [from, to) of d.
func (d seriesData) slice(from, to, F, X int) seriesData {
	return seriesData{y: d.y[from:to], futr: d.futr[from*F : to*F], hist: d.hist[from*X : to*X], stat: d.stat}
}

// convert checks s against c and converts it.
func convert(i int, s Series, c model.Common) (seriesData, error) {
	F, X, S := len(c.FutrExog), len(c.HistExog), len(c.StatExog)
	T := len(s.Y)
	if len(s.Futr) != F || len(s.Hist) != X || len(s.Stat) != S {
		return seriesData{}, fmt.Errorf("%w: series %d has %d/%d/%d futr/hist/stat variables, the model takes %d/%d/%d (%q, %q, %q)",
			ErrData, i, len(s.Futr), len(s.Hist), len(s.Stat), F, X, S, c.FutrExog, c.HistExog, c.StatExog)
	}
	d := seriesData{y: make([]float32, T), futr: make([]float32, T*F), hist: make([]float32, T*X), stat: make([]float32, S)}
	for j, v := range s.Y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return seriesData{}, fmt.Errorf("%w: series %d value %d is %v", ErrData, i, j, v)
		}
		d.y[j] = float32(v)
	}
	for _, g := range []struct {
		role  string
		names []string
		vars  [][]float64
		dst   []float32
	}{{"futr", c.FutrExog, s.Futr, d.futr}, {"hist", c.HistExog, s.Hist, d.hist}} {
		n := len(g.vars)
		for v, col := range g.vars {
			if len(col) != T {
				return seriesData{}, fmt.Errorf("%w: series %d %s variable %q has %d values for %d targets", ErrData, i, g.role, g.names[v], len(col), T)
			}
			for t, x := range col {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return seriesData{}, fmt.Errorf("%w: series %d %s variable %q value %d is %v", ErrData, i, g.role, g.names[v], t, x)
				}
				g.dst[t*n+v] = float32(x)
			}
		}
	}
	for v, x := range s.Stat {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return seriesData{}, fmt.Errorf("%w: series %d static variable %q is %v", ErrData, i, c.StatExog[v], x)
		}
		d.stat[v] = float32(x)
	}
	return d, nil
}
