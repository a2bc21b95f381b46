// Package forecast defines the Forecaster interface used by the streaming
// engine, the baseline models Naive and SeasonalNaive, a small registry to
// build models by name, and the M4 accuracy measures sMAPE and MASE.
//
// Forecasters work on batches: Forecast(dst, histories, h) writes one row of
// h point forecasts per history into the caller-owned dst (row-major,
// len(dst) == len(histories)*h). Histories are ordered oldest → newest.
// Implementations must not allocate in Forecast so the engine can call them
// on every micro-batch.
package forecast

import (
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Forecaster produces point forecasts for a batch of series.
type Forecaster interface {
	// Name is the model's registry name, e.g. "snaive".
	Name() string
	// Version identifies the model's parameters/weights; together with Name
	// it makes forecast ids deterministic.
	Version() string
	// InputSize is how many of the most recent values each series needs.
	// Histories may be shorter; each model documents how it degrades.
	InputSize() int
	// Forecast writes h forecasts per history into dst, row-major:
	// dst[i*h+j] is step j+1 of series i. len(dst) must be len(histories)*h.
	Forecast(dst []float64, histories [][]float64, h int) error
}

// Errors returned by Forecast and the registry.
var (
	// ErrEmptyHistory: a series has no observations at all.
	ErrEmptyHistory = errors.New("forecast: empty history")
	// ErrBadHorizon: h < 1.
	ErrBadHorizon = errors.New("forecast: horizon must be >= 1")
	// ErrDstSize: len(dst) != len(histories)*h.
	ErrDstSize = errors.New("forecast: dst length must be len(histories)*h")
	// ErrUnknownModel: New was given a name nobody registered.
	ErrUnknownModel = errors.New("forecast: unknown model")
)

// Options configures models built by New. Zero values mean defaults.
type Options struct {
	// Season is the seasonal period m for seasonal models (default 24,
	// i.e. hourly data with a daily cycle).
	Season int
	// Params holds model-specific settings for externally registered
	// models (e.g. a weights path for a neural adapter). Built-in models
	// ignore it.
	Params map[string]string
}

// DefaultSeason is used when Options.Season is zero.
const DefaultSeason = 24

// Validate reports invalid options.
func (o Options) Validate() error {
	if o.Season < 0 {
		return fmt.Errorf("forecast: season %d must be >= 0 (0 = default %d)", o.Season, DefaultSeason)
	}
	return nil
}

func (o Options) season() int {
	if o.Season == 0 {
		return DefaultSeason
	}
	return o.Season
}

// Factory builds a Forecaster from options.
type Factory func(Options) (Forecaster, error)

var (
	regMu    sync.RWMutex
	registry = map[string]Factory{}
)

func init() {
	naive := func(Options) (Forecaster, error) { return Naive{}, nil }
	snaive := func(o Options) (Forecaster, error) { return NewSeasonalNaive(o.season()) }
	registry["naive"] = naive
	registry["snaive"] = snaive
	registry["seasonal_naive"] = snaive
}

// Register adds a model factory under name (used by adapters such as neural
// models). Registering a name twice is an error.
func Register(name string, f Factory) error {
	if name == "" || f == nil {
		return errors.New("forecast: Register needs a name and a factory")
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, ok := registry[name]; ok {
		return fmt.Errorf("forecast: model %q already registered", name)
	}
	registry[name] = f
	return nil
}

// Names lists the registered model names, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// New builds the model registered under name: "naive", "snaive" (alias
// "seasonal_naive"), or any name added with Register.
func New(name string, opts Options) (Forecaster, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	regMu.RLock()
	f, ok := registry[name]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownModel, name, Names())
	}
	return f(opts)
}

// checkShape validates the common Forecast arguments.
func checkShape(dst []float64, histories [][]float64, h int) error {
	if h < 1 {
		return fmt.Errorf("%w (got %d)", ErrBadHorizon, h)
	}
	if len(dst) != len(histories)*h {
		return fmt.Errorf("%w: len(dst)=%d, len(histories)=%d, h=%d", ErrDstSize, len(dst), len(histories), h)
	}
	for i, x := range histories {
		if len(x) == 0 {
			return fmt.Errorf("%w: series %d", ErrEmptyHistory, i)
		}
	}
	return nil
}
