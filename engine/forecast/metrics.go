package forecast

import (
	"errors"
	"fmt"
	"math"
)

// ErrLength is returned by the accuracy measures for mismatched or empty inputs.
var ErrLength = errors.New("forecast: bad input length")

// SMAPE is the M4 symmetric mean absolute percentage error, in percent:
//
//	sMAPE = (1/h) Σ_{t=1..h} 200 |y_t − f_t| / (|y_t| + |f_t|).
//
// A term with |y_t| + |f_t| = 0 (both exactly zero, a perfect forecast)
// counts as 0.
func SMAPE(actual, forecast []float64) (float64, error) {
	if len(actual) == 0 || len(actual) != len(forecast) {
		return 0, fmt.Errorf("%w: sMAPE of %d actuals vs %d forecasts", ErrLength, len(actual), len(forecast))
	}
	var sum float64
	for t, y := range actual {
		f := forecast[t]
		d := math.Abs(y) + math.Abs(f)
		if d == 0 {
			continue
		}
		sum += 200 * math.Abs(y-f) / d
	}
	return sum / float64(len(actual)), nil
}

// MASE is the M4 mean absolute scaled error with seasonal period m:
//
//	MASE = [(1/h) Σ_t |y_t − f_t|] / [(1/(n−m)) Σ_{t=m+1..n} |x_t − x_{t−m}|],
//
// where x is the in-sample history of length n > m. If the in-sample scale
// is zero (a perfectly m-periodic history) the result is +Inf for a wrong
// forecast and NaN for a perfect one, as in the M4 reference code.
func MASE(insample, actual, forecast []float64, m int) (float64, error) {
	if m < 1 {
		return 0, fmt.Errorf("%w: MASE period m=%d must be >= 1", ErrLength, m)
	}
	if len(insample) <= m {
		return 0, fmt.Errorf("%w: MASE needs more than m=%d in-sample values, got %d", ErrLength, m, len(insample))
	}
	if len(actual) == 0 || len(actual) != len(forecast) {
		return 0, fmt.Errorf("%w: MASE of %d actuals vs %d forecasts", ErrLength, len(actual), len(forecast))
	}
	var scale float64
	for t := m; t < len(insample); t++ {
		scale += math.Abs(insample[t] - insample[t-m])
	}
	scale /= float64(len(insample) - m)
	var mae float64
	for t, y := range actual {
		mae += math.Abs(y - forecast[t])
	}
	mae /= float64(len(actual))
	return mae / scale, nil
}
