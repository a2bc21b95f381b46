package lifecycle

import "sync"

// Drift detects a rise of the serving model's online error: with W =
// window, it compares the mean absolute step-1 error of the version's
// latest W scores with that of its first W scores (its baseline, measured
// right after it started serving):
//
//	drifted ⇔ mean(|e| over the last W) > ratio · mean(|e| over the first W),
//
// once at least 2·W scores exist. Errors of other versions are ignored;
// SetVersion (called when the serving model changes) resets it.
type Drift struct {
	mu      sync.Mutex
	window  int
	ratio   float64
	version string
	baseSum float64
	baseN   int
	ring    []float64
	next    int
	ringSum float64
	total   int
}

// NewDrift returns a detector over window scores (>= 1) with ratio (> 1).
func NewDrift(window int, ratio float64) *Drift {
	return &Drift{window: max(window, 1), ratio: ratio, ring: make([]float64, max(window, 1))}
}

// SetVersion starts tracking version, forgetting everything seen.
func (d *Drift) SetVersion(version string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.version, d.baseSum, d.baseN, d.next, d.ringSum, d.total = version, 0, 0, 0, 0, 0
	clear(d.ring)
}

// Add records one absolute step-1 error of version.
func (d *Drift) Add(version string, abs float64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if version != d.version {
		return
	}
	d.total++
	if d.baseN < d.window {
		d.baseSum += abs
		d.baseN++
		return
	}
	d.ringSum += abs - d.ring[d.next]
	d.ring[d.next] = abs
	d.next = (d.next + 1) % d.window
}

// State returns the baseline and recent mean errors and the number of
// scores of the tracked version.
func (d *Drift) State() (baseline, recent float64, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.baseN > 0 {
		baseline = d.baseSum / float64(d.baseN)
	}
	if k := min(d.total-d.baseN, d.window); k > 0 {
		recent = d.ringSum / float64(k)
	}
	return baseline, recent, d.total
}

// Drifted reports whether the recent error exceeds ratio × the baseline.
func (d *Drift) Drifted() bool {
	b, r, n := d.State()
	return n >= 2*d.window && r > d.ratio*b
}
