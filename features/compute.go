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
// For a window W over the last n = min(W, len(Values)) values x₁..xₙ:
//
//	mean = (Σ xᵢ)/n
//	std  = sqrt(Σ (xᵢ − mean)² / n)   (population standard deviation)
//	min, max over the same values
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
		mean, std, lo, hi := windowStats(vals[len(vals)-n:])
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
	dst = appendCalendar(dst, st)
	for _, name := range cfg.Exog {
		if v, ok := st.Exog[name]; ok {
			dst = append(dst, v)
		} else {
			dst = append(dst, nan)
		}
	}
	return dst
}

// windowStats returns mean, population std, min and max of x (len(x) > 0),
// with explicit float64 conversions so that no FMA fusion changes results
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

func appendCalendar(dst []float64, st *State) []float64 {
	if st.Count == 0 {
		for range 9 {
			dst = append(dst, math.NaN())
		}
		return dst
	}
	return calendarAt(dst, st.LastTS)
}

// calendarAt appends the 9 calendar features of t (in UTC) to dst.
func calendarAt(dst []float64, t time.Time) []float64 {
	t = t.UTC()
	hour := float64(t.Hour())
	dow := float64(t.Weekday() - time.Sunday)
	month := float64(t.Month())
	hs, hc := math.Sincos(2 * math.Pi * hour / 24)
	ds, dc := math.Sincos(2 * math.Pi * dow / 7)
	ms, mc := math.Sincos(2 * math.Pi * (month - 1) / 12)
	return append(dst, hour, dow, month, hs, hc, ds, dc, ms, mc)
}
