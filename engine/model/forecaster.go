package model

import (
	"errors"
	"fmt"
	"sync"

	"github.com/streamcast/streamcast/engine/forecast"
)

// ForecasterName is the engine/forecast registry name of saved neural
// models: forecast.New(ForecasterName, forecast.Options{Params:
// map[string]string{"model_file": path}}) loads the file and returns a
// *Forecaster.
const ForecasterName = "neural"

func init() {
	if err := forecast.Register(ForecasterName, ForecastFactory); err != nil {
		panic(err)
	}
}

// ForecastFactory is the forecast.Factory behind ForecasterName: it loads
// the model file named by opts.Params["model_file"].
func ForecastFactory(opts forecast.Options) (forecast.Forecaster, error) {
	path := opts.Params["model_file"]
	if path == "" {
		return nil, errors.New("model: forecaster \"neural\" needs Params[\"model_file\"]")
	}
	l, err := LoadForInference(path)
	if err != nil {
		return nil, err
	}
	return NewForecaster(l.Model, fmt.Sprintf("%08x", l.Checksum)), nil
}

// Forecaster adapts a trained Model to forecast.Forecaster for the
// streaming pipeline. Forecast serialises calls on an internal Predictor
// (safe for concurrent use) and allocates nothing after warm-up for a given
// batch size.
type Forecaster struct {
	mu      sync.Mutex
	p       *Predictor
	c       Common
	kind    string
	version string
	buf     []float64
}

var _ forecast.Forecaster = (*Forecaster)(nil)

// NewForecaster wraps m; version identifies its weights (e.g. the model
// file checksum) and, with Name, makes forecast ids deterministic.
func NewForecaster(m Model, version string) *Forecaster {
	return &Forecaster{p: NewPredictor(m), c: m.Common(), kind: m.Kind(), version: version}
}

// Name returns the model kind, e.g. "mlp".
func (f *Forecaster) Name() string { return f.kind }

// Version returns the weights' version string.
func (f *Forecaster) Version() string { return f.version }

// InputSize returns the model's input window; shorter histories are
// zero-padded at the front (NeuralForecast's behaviour).
func (f *Forecaster) InputSize() int { return f.c.InputSize }

// Forecast writes h forecasts per history into dst (row-major). The model
// predicts its trained horizon H in one shot: h <= H returns the first h
// steps, h > H is an error (no recursive extension).
func (f *Forecaster) Forecast(dst []float64, histories [][]float64, h int) error {
	if h < 1 {
		return fmt.Errorf("%w (got %d)", forecast.ErrBadHorizon, h)
	}
	if h > f.c.H {
		return fmt.Errorf("%w: %s was trained for h=%d, asked for %d", forecast.ErrBadHorizon, f.kind, f.c.H, h)
	}
	if len(dst) != len(histories)*h {
		return fmt.Errorf("%w: len(dst)=%d, len(histories)=%d, h=%d", forecast.ErrDstSize, len(dst), len(histories), h)
	}
	for i, x := range histories {
		if len(x) == 0 {
			return fmt.Errorf("%w: series %d", forecast.ErrEmptyHistory, i)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if h == f.c.H {
		return f.p.Predict(dst, histories)
	}
	n := len(histories) * f.c.H
	if cap(f.buf) < n {
		f.buf = make([]float64, n)
	}
	out := f.buf[:n]
	if err := f.p.Predict(out, histories); err != nil {
		return err
	}
	for i := range histories {
		copy(dst[i*h:(i+1)*h], out[i*f.c.H:i*f.c.H+h])
	}
	return nil
}
