package train

import "math/rand/v2"

// windowSet enumerates NeuralForecast's training windows of one data set.
//
// A series of length T is padded with P zeros at the front (P = L−1 when
// start padding is on, else 0) and h zeros at the back, then cut into
// windows of L+h values starting at s = 0, step, 2·step, … A window is kept
// when its input part [s, s+L) and its target part [s+L, s+L+h) each contain
// at least one real (unpadded) value: in padded coordinates
// P−L+1 ≤ s ≤ P+T−L−1. Padded targets are masked out of the loss.
type windowSet struct {
	L, H, step, pad int
	F, X            int          // future-known and historical variables
	series          [][]float32  // training part of every series
	data            []seriesData // the same with exogenous variables (nil without)
	first, count    []int        // first valid start (padded coordinates) and number of windows
}

// newWindowSetData is newWindowSet over series with exogenous variables.
func newWindowSetData(data []seriesData, L, H, F, X, step int, startPadding bool) *windowSet {
	ys := make([][]float32, len(data))
	for i, d := range data {
		ys[i] = d.y
	}
	w := newWindowSet(ys, L, H, step, startPadding)
	w.data, w.F, w.X = data, F, X
	return w
}

// fillExog writes the exogenous variables of window k of series i: the
// future-known ones over the input and target steps into futr
// ((L+H)×F), the historical ones over the input steps into hist (L×X),
// the static ones into stat. Padded steps are 0.
func (w *windowSet) fillExog(i, k int, futr, hist, stat []float32) {
	d := w.data[i]
	start := w.first[i] + k*w.step - w.pad
	T := len(d.y)
	copyRows := func(dst, src []float32, n, steps int) {
		for t := range steps {
			o := start + t
			row := dst[t*n : (t+1)*n]
			if o >= 0 && o < T {
				copy(row, src[o*n:(o+1)*n])
			} else {
				clear(row)
			}
		}
	}
	copyRows(futr, d.futr, w.F, w.L+w.H)
	copyRows(hist, d.hist, w.X, w.L)
	copy(stat, d.stat)
}

func newWindowSet(series [][]float32, L, H, step int, startPadding bool) *windowSet {
	w := &windowSet{L: L, H: H, step: step, series: series}
	if startPadding {
		w.pad = L - 1
	}
	w.first = make([]int, len(series))
	w.count = make([]int, len(series))
	for i, s := range series {
		lo := max(0, w.pad-L+1)
		hi := w.pad + len(s) - L - 1
		lo = (lo + step - 1) / step * step // starts are multiples of step
		if hi >= lo {
			w.first[i] = lo
			w.count[i] = (hi-lo)/step + 1
		}
	}
	return w
}

// total returns the number of windows over every series.
func (w *windowSet) total() int {
	n := 0
	for _, c := range w.count {
		n += c
	}
	return n
}

// fill writes window k of series i: L inputs into x and their
// availability into xmask (may be nil), h targets into y and the target
// availability (1 real, 0 padding) into mask.
func (w *windowSet) fill(i, k int, x, xmask, y, mask []float32) {
	s := w.series[i]
	start := w.first[i] + k*w.step - w.pad // original index of the first input
	x = x[:w.L]
	for t := range x {
		o := start + t
		if o >= 0 && o < len(s) {
			x[t] = s[o]
		} else {
			x[t] = 0
		}
	}
	if xmask != nil {
		xmask = xmask[:w.L]
		for t := range xmask {
			o := start + t
			xmask[t] = 0
			if o >= 0 && o < len(s) {
				xmask[t] = 1
			}
		}
	}
	y = y[:w.H]
	mask = mask[:w.H]
	for t := range y {
		o := start + w.L + t
		if o >= 0 && o < len(s) {
			y[t], mask[t] = s[o], 1
		} else {
			y[t], mask[t] = 0, 0
		}
	}
}

// sampler draws k distinct integers from [0, n) (or k with replacement when
// n < k) without allocating after its buffers reach n: a partial
// Fisher–Yates shuffle on a persistent identity permutation whose swaps are
// undone afterwards.
type sampler struct {
	perm  []int32
	swaps []int32
}

func (s *sampler) sample(rng *rand.Rand, n, k int, dst []int) []int {
	dst = dst[:0]
	if n < k {
		for range k {
			dst = append(dst, rng.IntN(n))
		}
		return dst
	}
	for len(s.perm) < n {
		s.perm = append(s.perm, int32(len(s.perm)))
	}
	s.swaps = s.swaps[:0]
	for i := 0; i < k; i++ {
		j := i + rng.IntN(n-i)
		s.perm[i], s.perm[j] = s.perm[j], s.perm[i]
		s.swaps = append(s.swaps, int32(j))
		dst = append(dst, int(s.perm[i]))
	}
	for i := k - 1; i >= 0; i-- {
		j := s.swaps[i]
		s.perm[i], s.perm[j] = s.perm[j], s.perm[i]
	}
	return dst
}
