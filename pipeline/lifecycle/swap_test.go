package lifecycle

import (
	"errors"
	"sync"
	"testing"

	"github.com/streamcast/streamcast/engine/forecast"
)

// constModel forecasts a constant and records its identity.
type constModel struct {
	version string
	value   float64
	input   int
}

func (c constModel) Name() string    { return "const" }
func (c constModel) Version() string { return c.version }
func (c constModel) InputSize() int  { return c.input }
func (c constModel) Forecast(dst []float64, _ [][]float64, _ int) error {
	for i := range dst {
		dst[i] = c.value
	}
	return nil
}

func TestSwapSnapshotIsConsistentAcrossSet(t *testing.T) {
	check := func(f forecast.Forecaster) error {
		if f.InputSize() > 10 {
			return errors.New("too long")
		}
		return nil
	}
	s, err := NewSwap(constModel{"1", 1, 4}, check)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Set(constModel{"x", 0, 11}); err == nil || s.Version() != "1" {
		t.Fatalf("refused model installed: %v, version %s", err, s.Version())
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // batches: each one's version and numbers agree
		defer wg.Done()
		dst := make([]float64, 3)
		for {
			select {
			case <-stop:
				return
			default:
			}
			m := s.Snapshot()
			_ = m.Forecast(dst, [][]float64{{1}, {2}, {3}}, 1)
			want := map[string]float64{"1": 1, "2": 2, "3": 3}[m.Version()]
			for _, v := range dst {
				if v != want {
					t.Errorf("version %s forecast %v", m.Version(), v)
					return
				}
			}
		}
	}()
	for i := 0; i < 1000; i++ {
		v := []constModel{{"2", 2, 4}, {"3", 3, 4}}[i%2]
		if _, err := s.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if s.Swaps() != 1000 {
		t.Fatalf("swaps %d", s.Swaps())
	}
}
