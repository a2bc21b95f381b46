package metrics

import (
	"fmt"
	"math"
)

// Seasonal reports whether x passes the M4 seasonality test at period m: a
// 90% one-sided test on the lag-m autocorrelation,
//
//	|r_m| > 1.645 · √((1 + 2 Σ_{k=1}^{m−1} r_k²) / n),
//
// with r_k the sample autocorrelation. Series shorter than 3m, m ≤ 1 and
// constant series are not seasonal.
func Seasonal(x []float64, m int) bool {
	n := len(x)
	if m <= 1 || n < 3*m {
		return false
	}
	var mu float64
	for _, v := range x {
		mu += v
	}
	mu /= float64(n)
	var c0 float64
	for _, v := range x {
		c0 += (v - mu) * (v - mu)
	}
	if c0 == 0 {
		return false
	}
	r := func(k int) float64 {
		var s float64
		for t := 0; t+k < n; t++ {
			s += (x[t] - mu) * (x[t+k] - mu)
		}
		return s / c0
	}
	var sum float64
	for k := 1; k < m; k++ {
		rk := r(k)
		sum += rk * rk
	}
	return math.Abs(r(m)) > 1.645*math.Sqrt((1+2*sum)/float64(n))
}

// SeasonalIndices returns the multiplicative seasonal index of every
// position 0…m−1 of the cycle (position 0 = x[0]) by classical
// decomposition: a centred moving average of order m (2×m for even m) as
// the trend, the mean ratio x_t/trend_t per position, rescaled to mean 1.
func SeasonalIndices(x []float64, m int) ([]float64, error) {
	n := len(x)
	if m < 2 || n < 2*m+1 {
		return nil, fmt.Errorf("%w: seasonal indices need period >= 2 and at least 2m+1 values (m=%d, n=%d)", ErrInput, m, n)
	}
	w := make([]float64, 0, m+1)
	if m%2 == 0 {
		w = append(w, 0.5)
		for range m - 1 {
			w = append(w, 1)
		}
		w = append(w, 0.5)
	} else {
		for range m {
			w = append(w, 1)
		}
	}
	half := len(w) / 2
	sum := make([]float64, m)
	cnt := make([]int, m)
	for t := half; t < n-half; t++ {
		var tr float64
		for j, wj := range w {
			tr += wj * x[t-half+j]
		}
		tr /= float64(m)
		sum[t%m] += x[t] / tr
		cnt[t%m]++
	}
	idx := make([]float64, m)
	var mean float64
	for i := range idx {
		idx[i] = sum[i] / float64(cnt[i])
		mean += idx[i]
	}
	mean /= float64(m)
	for i := range idx {
		idx[i] /= mean
	}
	return idx, nil
}

// Naive2 appends to dst[:0] the M4 Naive2 forecast of the h values after
// x: when x is seasonal at period m (Seasonal), the last value divided by
// its seasonal index, re-seasonalised with the indices of the forecast
// positions; otherwise the last value repeated.
func Naive2(dst, x []float64, m, h int) ([]float64, error) {
	n := len(x)
	if n == 0 || h < 1 {
		return dst, fmt.Errorf("%w: Naive2 of %d values for %d steps", ErrInput, n, h)
	}
	dst = dst[:0]
	if Seasonal(x, m) {
		si, err := SeasonalIndices(x, m)
		if err != nil {
			return dst, err
		}
		level := x[n-1] / si[(n-1)%m]
		for i := range h {
			dst = append(dst, level*si[(n+i)%m])
		}
		return dst, nil
	}
	for range h {
		dst = append(dst, x[n-1])
	}
	return dst, nil
}
