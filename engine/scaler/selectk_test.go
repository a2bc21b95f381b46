package scaler

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSelectK(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	for _, n := range []int{1, 2, 3, 7, 16, 17, 33, 100, 257} {
		for trial := 0; trial < 20; trial++ {
			a := make([]float32, n)
			for i := range a {
				if trial%3 == 0 {
					a[i] = float32(rng.IntN(4)) // many ties
				} else {
					a[i] = float32(rng.NormFloat64())
				}
			}
			sorted := slices.Clone(a)
			slices.Sort(sorted)
			k := rng.IntN(n)
			if got := selectK(slices.Clone(a), k); got != sorted[k] {
				t.Fatalf("n=%d k=%d: selectK = %v, sorted %v", n, k, got, sorted[k])
			}
		}
	}
}
