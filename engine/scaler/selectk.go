package scaler

// selectK reorders a so that a[k] is the value a sorted copy would hold at
// index k, and returns it (Hoare's quickselect with median-of-three pivots;
// O(len(a)) on average, no allocation). a must not contain NaN.
func selectK(a []float32, k int) float32 {
	lo, hi := 0, len(a)-1
	for hi > lo {
		if hi-lo < 16 {
			insertion(a[lo : hi+1])
			return a[k]
		}
		mid := lo + (hi-lo)/2
		// median of three into a[mid]
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		p := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < p {
				i++
			}
			for a[j] > p {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return a[k] // j < k < i: a[k] == p
		}
	}
	return a[k]
}

func insertion(a []float32) {
	for i := 1; i < len(a); i++ {
		v := a[i]
		j := i - 1
		for ; j >= 0 && a[j] > v; j-- {
			a[j+1] = a[j]
		}
		a[j+1] = v
	}
}
