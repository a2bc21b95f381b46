package train

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestWindowSet(t *testing.T) {
	s := []float32{1, 2, 3, 4, 5, 6}
	type win struct{ x, y, m []float32 }
	all := func(w *windowSet) []win {
		var out []win
		for k := 0; k < w.count[0]; k++ {
			x, y, m := make([]float32, w.L), make([]float32, w.H), make([]float32, w.H)
			w.fill(0, k, x, nil, y, m)
			out = append(out, win{x, y, m})
		}
		return out
	}
	cases := []struct {
		name    string
		L, H    int
		step    int
		padding bool
		want    []win
	}{
		{"plain", 3, 2, 1, false, []win{
			{[]float32{1, 2, 3}, []float32{4, 5}, []float32{1, 1}},
			{[]float32{2, 3, 4}, []float32{5, 6}, []float32{1, 1}},
			// NeuralForecast pads h zeros at the end: partial targets are masked
			{[]float32{3, 4, 5}, []float32{6, 0}, []float32{1, 0}},
		}},
		{"step 2", 3, 2, 2, false, []win{
			{[]float32{1, 2, 3}, []float32{4, 5}, []float32{1, 1}},
			{[]float32{3, 4, 5}, []float32{6, 0}, []float32{1, 0}},
		}},
		{"start padding", 3, 1, 2, true, []win{
			// padded series 0 0 1 2 3 4 5 6 0, starts 0,2,4 (padded coordinates)
			{[]float32{0, 0, 1}, []float32{2}, []float32{1}},
			{[]float32{1, 2, 3}, []float32{4}, []float32{1}},
			{[]float32{3, 4, 5}, []float32{6}, []float32{1}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWindowSet([][]float32{s}, c.L, c.H, c.step, c.padding)
			if got := all(w); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v\nwant %v", got, c.want)
			}
		})
	}
	if w := newWindowSet([][]float32{{1, 2}}, 3, 1, 1, false); w.total() != 0 {
		t.Fatalf("series shorter than L+1 has %d windows", w.total())
	}
	if w := newWindowSet([][]float32{{1, 2}}, 3, 1, 1, true); w.total() != 1 {
		t.Fatalf("padded short series has %d windows, want 1", w.total())
	}
}

func TestSampler(t *testing.T) {
	var s sampler
	rng := rand.New(rand.NewPCG(1, 2))
	var dst []int
	for trial := 0; trial < 50; trial++ {
		dst = s.sample(rng, 40, 10, dst)
		seen := map[int]bool{}
		for _, v := range dst {
			if v < 0 || v >= 40 || seen[v] {
				t.Fatalf("bad or repeated draw %d in %v", v, dst)
			}
			seen[v] = true
		}
		for i, p := range s.perm {
			if int(p) != i {
				t.Fatal("permutation not restored")
			}
		}
	}
	dst = s.sample(rng, 3, 8, dst) // fewer than asked: with replacement
	if len(dst) != 8 {
		t.Fatalf("got %d draws", len(dst))
	}
	// every index is drawn about equally often
	counts := make([]int, 20)
	for trial := 0; trial < 4000; trial++ {
		dst = s.sample(rng, 20, 5, dst)
		for _, v := range dst {
			counts[v]++
		}
	}
	for i, c := range counts {
		if c < 800 || c > 1200 { // expectation 1000
			t.Fatalf("index %d drawn %d times of 20000", i, c)
		}
	}
}
