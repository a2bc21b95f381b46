package features

import (
	"errors"
	"fmt"
	"math"
)

// ErrSeries marks an offline series that the streaming path would not
// apply as given (times not strictly increasing, values out of range).
var ErrSeries = errors.New("features: bad series")

// MatrixInput is one series for Matrix: its event times (unix
// milliseconds, strictly increasing), values, and one column per
// Config.Exog name (a nil column is a variable never observed).
type MatrixInput struct {
	Times []int64
	Y     []float64
	Exog  [][]float64
}

// Matrix computes the feature matrix of one series offline: row t (of
// cfg.NumFeatures() values, rows one after another in dst) is exactly
// cfg.Features of the state after applying observations 0…t in order with
// Config.Step — online and offline features agree bit for bit, as long as
// the rows are the whole history of the series (the window blocks are
// aligned on the event count). dst is reused when large enough.
//
// Rolling windows, lags and calendar features cost O(1) per row (the
// block decomposition of Features: prefix accumulators run forward, the
// suffix accumulators of each finished block are computed once). EWMAs cost
// O(1) per row while t < History and O(History) afterwards, where the state
// keeps only the last History values and its EWMAs restart from the oldest.
func (cfg Config) Matrix(dst []float64, in MatrixInput) ([]float64, error) {
	if err := cfg.Validate(); err != nil {
		return dst, err
	}
	n := len(in.Y)
	if len(in.Times) != n {
		return dst, fmt.Errorf("%w: %d times for %d values", ErrSeries, len(in.Times), n)
	}
	if len(in.Exog) != len(cfg.Exog) {
		return dst, fmt.Errorf("%w: %d exogenous columns for %d names", ErrSeries, len(in.Exog), len(cfg.Exog))
	}
	for j, c := range in.Exog {
		if c != nil && len(c) != n {
			return dst, fmt.Errorf("%w: exogenous %q has %d values for %d rows", ErrSeries, cfg.Exog[j], len(c), n)
		}
	}
	for t := range n {
		if !isFiniteBounded(in.Y[t]) {
			return dst, fmt.Errorf("%w: row %d: value %v not finite or |value| > %g", ErrSeries, t, in.Y[t], MaxAbsValue)
		}
		if ms := in.Times[t]; ms > maxAbsMillis || ms < -maxAbsMillis {
			return dst, fmt.Errorf("%w: row %d: time %d out of range", ErrSeries, t, ms)
		}
		if t > 0 && in.Times[t] <= in.Times[t-1] {
			return dst, fmt.Errorf("%w: row %d: time %d does not follow %d (the stream would skip it as late)", ErrSeries, t, in.Times[t], in.Times[t-1])
		}
		for j, c := range in.Exog {
			if c != nil && !isFiniteBounded(c[t]) {
				return dst, fmt.Errorf("%w: row %d: exogenous %q value %v not finite", ErrSeries, t, cfg.Exog[j], c[t])
			}
		}
	}
	nf := cfg.NumFeatures()
	if cap(dst) < n*nf {
		dst = make([]float64, n*nf)
	}
	dst = dst[:n*nf]
	y := in.Y

	// Rolling windows: one prefix accumulator and one suffix table each.
	type win struct {
		w   int
		b   wacc
		suf []wacc // suf[j]: positions j…w−1 of the previous block, newest first
	}
	wins := make([]win, len(cfg.Windows))
	for i, w := range cfg.Windows {
		wins[i] = win{w: w, suf: make([]wacc, w)}
	}
	na := len(cfg.EWMAAlphas)
	var e [16]float64
	var cal calendar
	col := 0
	for t := range n {
		row := dst[t*nf : (t+1)*nf]
		x := normValue(y[t])
		col = 0
		for i := range wins {
			wi := &wins[i]
			w := wi.w
			if t%w == 0 {
				if t > 0 {
					// Block t/w−1 just finished: its suffix accumulators.
					var a wacc
					base := t - w
					for j := w - 1; j >= 0; j-- {
						a.add(normValue(y[base+j]))
						wi.suf[j] = a
					}
				}
				wi.b = wacc{}
			}
			wi.b.add(x)
			nB := t%w + 1
			cnt := min(w, t+1)
			var mean, std, lo, hi float64
			if nA := cnt - nB; nA > 0 {
				mean, std, lo, hi = join(&wi.suf[w-nA], &wi.b)
			} else {
				mean, std, lo, hi = join(&wacc{}, &wi.b)
			}
			row[col], row[col+1], row[col+2], row[col+3] = mean, std, lo, hi
			col += 4
		}
		for _, l := range cfg.Lags {
			if l <= t+1 {
				row[col] = normValue(y[t+1-l])
			} else {
				row[col] = math.NaN()
			}
			col++
		}
		if na > 0 {
			if t < cfg.History {
				if t == 0 {
					for k := range na {
						e[k] = x
					}
				} else {
					stepEWMA(cfg.EWMAAlphas, e[:na], x)
				}
			} else {
				// The state holds values t−History+1 … t only.
				lo := t - cfg.History + 1
				for k := range na {
					e[k] = normValue(y[lo])
				}
				for _, v := range y[lo+1 : t+1] {
					stepEWMA(cfg.EWMAAlphas, e[:na], normValue(v))
				}
			}
			copy(row[col:], e[:na])
			col += na
		}
		cal.append(row[col:col], in.Times[t])
		col += 9
		for j, c := range in.Exog {
			if c == nil {
				row[col+j] = math.NaN()
			} else {
				row[col+j] = normValue(c[t])
			}
		}
	}
	return dst, nil
}

// stepEWMA advances every average by one value with the operations of
// ewmas: e += α·(x − e), the product rounded before the sum.
func stepEWMA(alphas, e []float64, x float64) {
	for i, a := range alphas {
		e[i] += float64(a * (x - e[i]))
	}
}
