// Package metrics scores forecasts against actuals: point errors, the M4
// competition's scaled errors and OWA against Naive2, and quantile
// forecasts (CRPS, interval coverage).
//
// For actuals y₁…y_h, point forecasts f₁…f_h and in-sample history
// x₁…x_n with seasonal period m:
//
//	MAE   = (1/h) Σ |y_t − f_t|
//	MSE   = (1/h) Σ (y_t − f_t)²,  RMSE = √MSE
//	MAPE  = (100/h') Σ_{y_t ≠ 0} |y_t − f_t| / |y_t|   (h' = number of non-zero actuals)
//	sMAPE = (1/h) Σ 200 |y_t − f_t| / (|y_t| + |f_t|)   (a 0/0 term counts 0)
//	MASE  = MAE / [(1/(n−m)) Σ_{t=m+1..n} |x_t − x_{t−m}|]
//	OWA   = ½ (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2)
//
// For quantile forecasts q_{t,k} at levels τ₁…τ_K the pinball loss is
// ρ_τ(y, q) = max(τ (y − q), (τ − 1)(y − q)) and
//
//	CRPS ≈ (1/h) Σ_t (2/K) Σ_k ρ_{τ_k}(y_t, q_{t,k})
//
// (the CRPS as the integral of twice the pinball loss over τ, by a
// K-point rule, as NeuralForecast and GluonTS evaluate quantile forecasts);
// the scaled CRPS divides Σ_t Σ_k 2ρ/K by Σ_t |y_t|. Coverage of an
// interval [lo_t, hi_t] is the fraction of t with lo_t ≤ y_t ≤ hi_t.
//
// Every function returns an error wrapping ErrInput for empty or mismatched
// inputs; results that are undefined (MASE of a constant seasonal history,
// MAPE without non-zero actuals) are NaN or ±Inf as documented.
package metrics

import (
	"errors"
	"fmt"
	"math"
)

// ErrInput marks empty or mismatched inputs.
var ErrInput = errors.New("metrics: bad input")

func check(what string, y, f []float64) error {
	if len(y) == 0 || len(y) != len(f) {
		return fmt.Errorf("%w: %s of %d actuals and %d forecasts", ErrInput, what, len(y), len(f))
	}
	return nil
}

// MAE is the mean absolute error.
func MAE(y, f []float64) (float64, error) {
	if err := check("MAE", y, f); err != nil {
		return 0, err
	}
	var s float64
	for t := range y {
		s += math.Abs(y[t] - f[t])
	}
	return s / float64(len(y)), nil
}

// MSE is the mean squared error.
func MSE(y, f []float64) (float64, error) {
	if err := check("MSE", y, f); err != nil {
		return 0, err
	}
	var s float64
	for t := range y {
		d := y[t] - f[t]
		s += d * d
	}
	return s / float64(len(y)), nil
}

// RMSE is √MSE.
func RMSE(y, f []float64) (float64, error) {
	v, err := MSE(y, f)
	return math.Sqrt(v), err
}

// MAPE is the mean absolute percentage error in percent over the non-zero
// actuals (NaN when every actual is zero).
func MAPE(y, f []float64) (float64, error) {
	if err := check("MAPE", y, f); err != nil {
		return 0, err
	}
	var s float64
	n := 0
	for t := range y {
		if y[t] != 0 {
			s += math.Abs(y[t]-f[t]) / math.Abs(y[t])
			n++
		}
	}
	if n == 0 {
		return math.NaN(), nil
	}
	return 100 * s / float64(n), nil
}

// SMAPE is the M4 symmetric MAPE in percent (a term with y = f = 0 counts 0).
func SMAPE(y, f []float64) (float64, error) {
	if err := check("sMAPE", y, f); err != nil {
		return 0, err
	}
	var s float64
	for t := range y {
		if d := math.Abs(y[t]) + math.Abs(f[t]); d != 0 {
			s += 200 * math.Abs(y[t]-f[t]) / d
		}
	}
	return s / float64(len(y)), nil
}

// MASEScale returns the in-sample mean absolute seasonal difference of x
// with period m (len(x) > m): the denominator of MASE.
func MASEScale(x []float64, m int) (float64, error) {
	if m < 1 || len(x) <= m {
		return 0, fmt.Errorf("%w: MASE scale needs more than m=%d in-sample values, got %d", ErrInput, m, len(x))
	}
	var s float64
	for t := m; t < len(x); t++ {
		s += math.Abs(x[t] - x[t-m])
	}
	return s / float64(len(x)-m), nil
}

// MASE is the M4 mean absolute scaled error: +Inf for a wrong forecast and
// NaN for a perfect one when the history is exactly m-periodic.
func MASE(insample, y, f []float64, m int) (float64, error) {
	scale, err := MASEScale(insample, m)
	if err != nil {
		return 0, err
	}
	mae, err := MAE(y, f)
	if err != nil {
		return 0, err
	}
	return mae / scale, nil
}

// OWA is the M4 overall weighted average of sMAPE and MASE relative to
// Naive2's.
func OWA(smape, mase, smapeNaive2, maseNaive2 float64) float64 {
	return 0.5 * (smape/smapeNaive2 + mase/maseNaive2)
}

// Pinball is the quantile (pinball) loss of forecast q at level tau.
func Pinball(y, q, tau float64) float64 {
	d := y - q
	return max(tau*d, (tau-1)*d)
}

// CRPS approximates the continuous ranked probability score from quantile
// forecasts: q[k][t] is the forecast of y[t] at level taus[k]. It returns
// the mean over t of (2/K)·Σ_k ρ_{τ_k}, and the scaled CRPS (the same sum
// over t divided by Σ_t |y_t|; NaN when every actual is zero).
func CRPS(y []float64, taus []float64, q [][]float64) (crps, scaled float64, err error) {
	if len(taus) == 0 || len(taus) != len(q) {
		return 0, 0, fmt.Errorf("%w: CRPS with %d levels and %d quantile forecasts", ErrInput, len(taus), len(q))
	}
	for k, tau := range taus {
		if !(tau > 0 && tau < 1) {
			return 0, 0, fmt.Errorf("%w: quantile level %v outside (0, 1)", ErrInput, tau)
		}
		if err := check("CRPS", y, q[k]); err != nil {
			return 0, 0, err
		}
	}
	var s, absY float64
	for t, v := range y {
		for k, tau := range taus {
			s += Pinball(v, q[k][t], tau)
		}
		absY += math.Abs(v)
	}
	s *= 2 / float64(len(taus))
	scaled = math.NaN()
	if absY > 0 {
		scaled = s / absY
	}
	return s / float64(len(y)), scaled, nil
}

// Coverage is the fraction of actuals inside [lo, hi].
func Coverage(y, lo, hi []float64) (float64, error) {
	if err := check("coverage", y, lo); err != nil {
		return 0, err
	}
	if err := check("coverage", y, hi); err != nil {
		return 0, err
	}
	n := 0
	for t, v := range y {
		if lo[t] <= v && v <= hi[t] {
			n++
		}
	}
	return float64(n) / float64(len(y)), nil
}
