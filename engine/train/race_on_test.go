//go:build race

package train_test

// raceEnabled: the race detector makes sync.Pool drop a share of its items
// (fastgemm's packing buffers come from one), so allocation counts are not
// meaningful; the allocation test runs in the normal build.
const raceEnabled = true
