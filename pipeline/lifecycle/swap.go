// Package lifecycle keeps streamcast's models fresh while it serves:
//
//   - Swap, a forecaster whose model is replaced atomically while batches
//     are in flight (each batch takes one Snapshot and finishes on it);
//   - Retrainer, which retrains on a schedule (every D, after N new
//     observations, or early when the online error drifts), warm-starting
//     from the serving model on windows cut from the series histories in
//     Redis, with bounded CPU, and promotes the challenger through the model
//     registry (engine/registry) only if it beats the champion on the most
//     recent held-out windows by a margin;
//   - Evaluator, River-style progressive evaluation: each observation
//     scores the forecasts issued earlier for its timestamp, per step ahead,
//     and checks it against its forecast's interval or an error threshold
//     for alerts.
//
// Components have Run(ctx) error methods and depend on small interfaces
// defined here, so the pipeline wires them and tests replace them.
package lifecycle

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/streamcast/streamcast/engine/forecast"
)

// Swap is a forecast.Forecaster whose model can be replaced while it
// serves. Callers that need a consistent model for a whole batch (name,
// version, input size and forecasts from the same weights) take one
// Snapshot per batch: a batch in flight during Set finishes on the old
// model, later batches use the new one. The forwarding methods of Swap
// itself each read the current model independently.
type Swap struct {
	cur   atomic.Pointer[slot]
	check func(forecast.Forecaster) error
	swaps atomic.Int64
}

type slot struct{ f forecast.Forecaster }

var _ forecast.Forecaster = (*Swap)(nil)

// NewSwap serves initial. check, if non-nil, vets every model given to Set
// (and initial), e.g. that its input size fits the stored history and
// its horizon covers the forecast horizon.
func NewSwap(initial forecast.Forecaster, check func(forecast.Forecaster) error) (*Swap, error) {
	if initial == nil {
		return nil, errors.New("lifecycle: NewSwap needs an initial model")
	}
	if check != nil {
		if err := check(initial); err != nil {
			return nil, fmt.Errorf("lifecycle: initial model %s@%s: %w", initial.Name(), initial.Version(), err)
		}
	}
	s := &Swap{check: check}
	s.cur.Store(&slot{initial})
	return s, nil
}

// Snapshot returns the model serving now; it stays valid (and usable)
// after a Set.
func (s *Swap) Snapshot() forecast.Forecaster { return s.cur.Load().f }

// Set replaces the model after vetting it and returns the previous one.
func (s *Swap) Set(f forecast.Forecaster) (forecast.Forecaster, error) {
	if f == nil {
		return nil, errors.New("lifecycle: Set(nil)")
	}
	if s.check != nil {
		if err := s.check(f); err != nil {
			return nil, fmt.Errorf("lifecycle: model %s@%s refused: %w", f.Name(), f.Version(), err)
		}
	}
	s.swaps.Add(1)
	return s.cur.Swap(&slot{f}).f, nil
}

// Swaps counts successful Set calls.
func (s *Swap) Swaps() int64 { return s.swaps.Load() }

// Name implements forecast.Forecaster (of the current model).
func (s *Swap) Name() string { return s.Snapshot().Name() }

// Version implements forecast.Forecaster (of the current model).
func (s *Swap) Version() string { return s.Snapshot().Version() }

// InputSize implements forecast.Forecaster (of the current model).
func (s *Swap) InputSize() int { return s.Snapshot().InputSize() }

// Forecast implements forecast.Forecaster with the current model.
func (s *Swap) Forecast(dst []float64, histories [][]float64, h int) error {
	return s.Snapshot().Forecast(dst, histories, h)
}
