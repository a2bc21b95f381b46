package features

import (
	"math"
	"time"
)

// Features appends the feature vector of st to dst[:0] and returns it, in
// the order of FeatureNames. Features that cannot be computed are NaN:
// rolling statistics and lags with no or too few values, calendar features
// when Count == 0, EWMAs before the first value, exogenous variables never
// seen.
//
// Rolling window W over the last n = min(W, Count) values: mean, population
// standard deviation, min and max,
//
//	mean = (Σ xᵢ)/n,  std = sqrt(Σ (xᵢ − mean)² / n),
//
// computed so that the offline feature matrix (Config.Matrix) can produce
// every row in O(1) with bit-identical results: the values are numbered by
// event (position p = Count−1 for the newest) and cut at multiples of W.
// The window is then a prefix B of the block holding p (positions
// ⌊p/W⌋·W … p, accumulated oldest first) and, when the window reaches
// into the previous block, a suffix A of it (accumulated newest first).
// Each part keeps Welford's running count, sum, mean and sum of squared
// deviations M2 (mₖ = mₖ₋₁ + (x−mₖ₋₁)/k, M2ₖ = M2ₖ₋₁ + (x−mₖ₋₁)(x−mₖ)), and
// the parts are joined as
//
//	mean = (sum_A + sum_B)/n,  M2 = M2_A + M2_B + (m_B − m_A)²·n_A·n_B/n
//
// (Chan et al.), std = sqrt(M2/n). min and max are exact in any order.
//
// lag K is Values[len−K] (lag 1 = last value). ewma_A is the average of
// Config.EWMAOver over Values (recomputed here, st.EWMA is not read). Calendar features use
// LastTS in UTC: hour ∈ [0,23], dow ∈ [0,6] (Sunday = 0), month ∈ [1,12],
// and hour_sin = sin(2π·hour/24), dow_sin = sin(2π·dow/7),
// month_sin = sin(2π·(month−1)/12), with the matching cosines.
func (cfg Config) Features(st *State, dst []float64) []float64 {
	dst = dst[:0]
	vals := st.Values
	nan := math.NaN()
	for _, w := range cfg.Windows {
		n := min(w, len(vals))
		if n == 0 {
			dst = append(dst, nan, nan, nan, nan)
			continue
		}
		mean, std, lo, hi := blockStats(vals[len(vals)-n:], st.Count-1, w)
		dst = append(dst, mean, std, lo, hi)
	}
	for _, l := range cfg.Lags {
		if l <= len(vals) {
			dst = append(dst, vals[len(vals)-l])
		} else {
			dst = append(dst, nan)
		}
	}
	var e [16]float64 // Validate allows at most 16 alphas
	ewmas(cfg.EWMAAlphas, vals, e[:len(cfg.EWMAAlphas)])
	dst = append(dst, e[:len(cfg.EWMAAlphas)]...)
	if st.Count == 0 {
		for range 9 {
			dst = append(dst, nan)
		}
	} else {
		var cal calendar
		dst = cal.append(dst, st.LastTS.UnixMilli())
	}
	for _, name := range cfg.Exog {
		if v, ok := st.Exog[name]; ok {
			dst = append(dst, v)
		} else {
			dst = append(dst, nan)
		}
	}
	return dst
}

// wacc accumulates count, sum, Welford mean and M2, min and max. The
// explicit float64 conversions forbid fused multiply-adds, so results are
// the same on every platform and in every caller.
type wacc struct {
	n, sum, mean, m2, lo, hi float64
}

func (a *wacc) add(x float64) {
	if a.n == 0 {
		a.lo, a.hi = x, x
	}
	a.n++
	a.sum += x
	d := x - a.mean
	a.mean += d / a.n
	a.m2 += float64(d * float64(x-a.mean))
	a.lo = min(a.lo, x)
	a.hi = max(a.hi, x)
}

// join returns mean, std, min and max of the union of a (possibly empty)
// and b (not empty).
func join(a, b *wacc) (mean, std, lo, hi float64) {
	if a.n == 0 {
		return b.sum / b.n, math.Sqrt(b.m2 / b.n), b.lo, b.hi
	}
	n := a.n + b.n
	d := b.mean - a.mean
	m2 := a.m2 + b.m2 + float64(float64(d*d)*float64(a.n*b.n/n))
	return (a.sum + b.sum) / n, math.Sqrt(m2 / n), min(a.lo, b.lo), max(a.hi, b.hi)
}

// blockStats returns mean, population std, min and max of the window x
// (len(x) > 0, x[len(x)−1] at event position p) of length w, by the block
// decomposition described at Features.
func blockStats(x []float64, p int64, w int) (mean, std, lo, hi float64) {
	nB := int(p%int64(w)) + 1 // positions ⌊p/w⌋·w … p
	nB = min(nB, len(x))
	var a, b wacc
	for _, v := range x[len(x)-nB:] {
		b.add(v)
	}
	for i := len(x) - nB - 1; i >= 0; i-- {
		a.add(x[i])
	}
	return join(&a, &b)
}

// windowStats returns mean, population std, min and max of x (len(x) > 0)
// by two passes over the values alone (the model-input features of
// window.go, whose windows are not aligned on the event count), with
// explicit float64 conversions so that no FMA fusion changes results
// across architectures.
func windowStats(x []float64) (mean, std, lo, hi float64) {
	var sum float64
	lo, hi = x[0], x[0]
	for _, v := range x {
		sum += v
		lo = min(lo, v)
		hi = max(hi, v)
	}
	n := float64(len(x))
	mean = sum / n
	var ss float64
	for _, v := range x {
		d := v - mean
		ss += float64(d * d)
	}
	return mean, math.Sqrt(ss / n), lo, hi
}

// calendarAt appends the 9 calendar features of t (in UTC) to dst.
func calendarAt(dst []float64, t time.Time) []float64 {
	var c calendar
	return c.append(dst, t.UnixMilli())
}

// Calendar lookup tables, filled with exactly the expressions documented
// at Features.
var (
	hourSin, hourCos   [24]float64
	dowSin, dowCos     [7]float64
	monthSin, monthCos [12]float64
)

func init() {
	for h := range 24 {
		hourSin[h], hourCos[h] = math.Sincos(2 * math.Pi * float64(h) / 24)
	}
	for d := range 7 {
		dowSin[d], dowCos[d] = math.Sincos(2 * math.Pi * float64(d) / 7)
	}
	for m := range 12 {
		monthSin[m], monthCos[m] = math.Sincos(2 * math.Pi * float64(m) / 12)
	}
}

const msPerDay = 86_400_000

// calendar derives hour, day of week and month from unix milliseconds
// (UTC), remembering the last day so that consecutive times of one day cost
// a division.
type calendar struct {
	day        int64
	dow, month int
	valid      bool
}

func (c *calendar) append(dst []float64, ms int64) []float64 {
	day := ms / msPerDay
	rem := ms - day*msPerDay
	if rem < 0 {
		day--
		rem += msPerDay
	}
	if !c.valid || day != c.day {
		c.day, c.valid = day, true
		c.dow = int((day%7 + 11) % 7) // 1970-01-01 was a Thursday (4)
		c.month = monthOfDay(day)
	}
	h := int(rem / 3_600_000)
	m := c.month - 1
	return append(dst, float64(h), float64(c.dow), float64(c.month),
		hourSin[h], hourCos[h], dowSin[c.dow], dowCos[c.dow], monthSin[m], monthCos[m])
}

// monthOfDay returns the month (1-12) of the proleptic Gregorian date that
// is z days after 1970-01-01 (H. Hinnant's civil_from_days).
func monthOfDay(z int64) int {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	if mp < 10 {
		return int(mp + 3)
	}
	return int(mp - 9)
}
