package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/registry"
	"github.com/streamcast/streamcast/ingest"
)

// ServeFunc builds the serving form of a network: a forecaster named by the
// model kind and versioned as given (the pipeline's adapter, which builds
// exogenous inputs from the stored history; see PlainServe).
type ServeFunc func(m model.Model, version string) (forecast.Forecaster, error)

// Inputs are the stream's sources of a network's inputs beyond its values,
// derived features and calendar features: the message variables the
// feature store keeps per step (features.Config.StepExog, in that order)
// and the series' static attributes.
type Inputs struct {
	StepExog []string
	Static   *ingest.Static
}

// PlainServe serves networks without exogenous inputs through
// engine/model's Forecaster.
func PlainServe(m model.Model, version string) (forecast.Forecaster, error) {
	if m.Common().HasExog() {
		return nil, fmt.Errorf("lifecycle: %s takes exogenous inputs; PlainServe cannot build them", m.Kind())
	}
	return model.NewForecaster(m, version), nil
}

// NewFollower returns a registry.Watcher that installs every new current
// version into swap, served by serve and versioned registry.VersionString
// (e.g. "3-8f3a2c1d"); onSwap, if non-nil, is called after each swap (with
// the previous and new model), e.g. to update metrics and reset drift.
func NewFollower(reg *registry.Registry, swap *Swap, serve ServeFunc, interval time.Duration, onSwap func(old, cur forecast.Forecaster, m registry.Meta), log *slog.Logger) *registry.Watcher {
	return &registry.Watcher{Registry: reg, Interval: interval, Log: log, Apply: func(_ context.Context, l *model.Loaded, m registry.Meta) error {
		f, err := serve(l.Model, m.VersionString())
		if err != nil {
			return err
		}
		old, err := swap.Set(f)
		if err != nil {
			return err
		}
		if onSwap != nil {
			onSwap(old, f, m)
		}
		return nil
	}}
}

// SeedRegistry makes blob (a model file) the first version of an empty
// registry and promotes it; when the registry already has a current
// version it changes nothing. It returns the current version's meta and
// whether blob was stored. Instances racing to seed store one version
// each, but only one is promoted.
func SeedRegistry(ctx context.Context, reg *registry.Registry, blob []byte, note, owner string) (registry.Meta, bool, error) {
	cur, err := reg.Current(ctx)
	if err == nil {
		m, err := reg.Meta(ctx, cur)
		return m, false, err
	}
	if !errors.Is(err, registry.ErrNotFound) {
		return registry.Meta{}, false, err
	}
	m, err := reg.Put(ctx, blob, registry.Meta{Note: note, Trainer: owner}, 0)
	if err != nil {
		return registry.Meta{}, false, fmt.Errorf("lifecycle: seed the registry: %w", err)
	}
	if _, err := reg.Promote(ctx, m.Version, registry.Expect(0, 0)); err != nil {
		if errors.Is(err, registry.ErrConflict) { // another instance seeded first
			return SeedRegistry(ctx, reg, blob, note, owner)
		}
		return registry.Meta{}, false, fmt.Errorf("lifecycle: seed the registry: %w", err)
	}
	return m, true, nil
}
