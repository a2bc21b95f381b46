package ingest

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/streamcast/streamcast/features"
)

// FeatureMatrix is the per-row feature matrix of a Frame: row r (in frame
// row order) holds the cfg.NumFeatures() values of features.Config.Matrix
// for its series, i.e. what the streaming path computes after that
// observation.
type FeatureMatrix struct {
	Names []string
	// Data holds Rows×len(Names) values, row-major.
	Data []float64
	Rows int
}

// Row returns the features of frame row r.
func (m *FeatureMatrix) Row(r int) []float64 {
	n := len(m.Names)
	return m.Data[r*n : (r+1)*n]
}

// Features computes the feature matrix of every series of f with
// features.Config.Matrix — the code the streaming path's Features uses, so
// a model trained on it sees what it will see online — on workers
// goroutines (0 = GOMAXPROCS), series by series. cfg.Exog names frame
// exogenous columns; a name without a column is a variable never observed
// (NaN). f must hold timestamps (TimeStamp): calendar features need them.
// dst is reused when large enough.
func (f *Frame) Features(cfg features.Config, workers int, dst []float64) (*FeatureMatrix, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if f.TimeKind != TimeStamp {
		return nil, fmt.Errorf("ingest: %s: features need timestamps, the frame has %s times", f.Source, f.TimeKind)
	}
	if f.Y == nil {
		return nil, fmt.Errorf("ingest: %s: features need a target column", f.Source)
	}
	cols := make([]int, len(cfg.Exog))
	for j, name := range cfg.Exog {
		cols[j] = -1
		if k, ok := f.ExogIndex(name); ok {
			cols[j] = k
		}
	}
	nf := cfg.NumFeatures()
	n := f.Len()
	if cap(dst) < n*nf {
		dst = make([]float64, n*nf)
	}
	m := &FeatureMatrix{Names: cfg.FeatureNames(), Data: dst[:n*nf], Rows: n}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	for range min(workers, f.NumSeries()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := features.MatrixInput{Exog: make([][]float64, len(cols))}
			for {
				s := int(next.Add(1) - 1)
				if s >= f.NumSeries() {
					return
				}
				lo, hi := f.Offsets[s], f.Offsets[s+1]
				in.Times, in.Y = f.Time[lo:hi], f.Y[lo:hi]
				for j, c := range cols {
					in.Exog[j] = nil
					if c >= 0 {
						in.Exog[j] = f.Exog[c][lo:hi]
					}
				}
				if _, err := cfg.Matrix(m.Data[lo*nf:hi*nf], in); err != nil {
					errOnce.Do(func() { first = fmt.Errorf("ingest: %s: series %q: %w", f.Source, f.IDs[s], err) })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return m, nil
}
