package ingest

import (
	"runtime"
	"sort"
	"sync"
)

// parallelRows is the frame size from which whole-frame scans (frequency
// inference, the gap scan, the sort check) are split across cores.
const parallelRows = 1 << 20

// forSeriesParts splits the series of a frame with the given offsets
// (len = series+1) into contiguous ranges of about equal rows, one per
// core for frames of at least parallelRows rows (else one), and runs
// fn(part, lo, hi) on series [lo, hi) of every part concurrently. It
// returns the number of parts; part p covers the series before part p+1.
func forSeriesParts(offsets []int, fn func(p, lo, hi int)) int {
	ns := len(offsets) - 1
	if ns <= 0 {
		return 0
	}
	rows := offsets[ns] - offsets[0]
	n := 1
	if rows >= parallelRows {
		n = min(runtime.GOMAXPROCS(0), ns)
	}
	if n == 1 {
		fn(0, 0, ns)
		return 1
	}
	bounds := make([]int, n+1)
	for p := 1; p < n; p++ {
		// the first series starting at or after p/n of the rows
		target := offsets[0] + rows*p/n
		bounds[p] = max(bounds[p-1], sort.SearchInts(offsets[:ns], target))
	}
	bounds[n] = ns
	var wg sync.WaitGroup
	for p := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(p, bounds[p], bounds[p+1])
		}()
	}
	wg.Wait()
	return n
}
