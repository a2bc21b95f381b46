package pipeline

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/engine/model"
	_ "github.com/streamcast/streamcast/engine/models/all" // every model kind, for --model-file
	"github.com/streamcast/streamcast/features"
)

// WindowForecaster is implemented by models that read, beyond the value
// histories, the event time of each series' last value (to compute
// calendar inputs over the window and the horizon) and that can return
// prediction quantiles. The Handler prefers it over Forecast.
type WindowForecaster interface {
	forecast.Forecaster
	// Quantiles lists the quantile levels ForecastAt writes into q
	// (ascending; nil for point forecasts).
	Quantiles() []float64
	// ForecastAt writes h point forecasts per history into dst (row-major)
	// and, when Quantiles is not empty, h×len(Quantiles()) quantiles per
	// history into q. last[i] is the event time of histories[i]'s newest
	// value.
	ForecastAt(dst, q []float64, histories [][]float64, last []time.Time, h int) error
}

// Neural serves a trained engine/model network in the stream: it builds
// each series' model inputs from its stored value history with the same
// features code as offline training (features.HistWindow for historical
// variables, features.CalendarWindow for future-known calendar variables
// over the input window and the horizon, stepping by Freq back from the
// event time), and predicts all series of a batch in one forward pass.
//
// Neural is safe for concurrent use: calls are serialised on one
// Predictor, which allocates nothing once it has seen the batch size.
type Neural struct {
	kind, version string
	c             model.Common
	freq          time.Duration
	hist, futr    []features.WindowFeature
	need          int

	mu                              sync.Mutex
	p                               *model.Predictor
	y, ymask, fbuf, hbuf, point, qb []float32
	batch                           model.Batch
}

var _ WindowForecaster = (*Neural)(nil)

// NewNeural wraps m (version identifies its weights). Its hist_exog_list
// must name derived features (mean_W, std_W, min_W, max_W, lag_K,
// ewma_A), its futr_exog_list calendar features (hour, dow, month and
// their sin/cos); static variables are not available in the stream.
func NewNeural(m model.Model, version string, freq time.Duration) (*Neural, error) {
	c := m.Common()
	if freq <= 0 {
		return nil, fmt.Errorf("neural model: --freq %v must be > 0", freq)
	}
	n := &Neural{kind: m.Kind(), version: version, c: c, freq: freq, p: model.NewPredictor(m)}
	var err error
	if n.hist, err = features.ParseWindowFeatures(c.HistExog); err != nil {
		return nil, fmt.Errorf("neural model %s: hist_exog_list: %w", n.kind, err)
	}
	for _, f := range n.hist {
		if f.Calendar() {
			return nil, fmt.Errorf("neural model %s: hist_exog_list names calendar feature %q: calendar features are known for the horizon, train with them in futr_exog_list", n.kind, f.Name)
		}
	}
	if n.futr, err = features.ParseWindowFeatures(c.FutrExog); err != nil {
		return nil, fmt.Errorf("neural model %s: futr_exog_list: %w", n.kind, err)
	}
	for _, f := range n.futr {
		if !f.Calendar() {
			return nil, fmt.Errorf("neural model %s: futr_exog_list names %q, which is not known for the horizon; the stream knows future calendar features only (%s)", n.kind, f.Name, strings.Join(features.CalendarNames(), ", "))
		}
	}
	if len(c.StatExog) > 0 {
		return nil, fmt.Errorf("neural model %s: static variables %q are not available in the stream", n.kind, c.StatExog)
	}
	n.need = c.InputSize + max(features.MaxSpan(n.hist), 1) - 1
	return n, nil
}

// Name returns the model kind, e.g. "mlp".
func (n *Neural) Name() string { return n.kind }

// Version returns the weights' version.
func (n *Neural) Version() string { return n.version }

// InputSize is the history the model reads: input_size plus the span of
// its historical features minus one (so that every step of the input
// window has its full feature span).
func (n *Neural) InputSize() int { return n.need }

// Horizon is the trained horizon.
func (n *Neural) Horizon() int { return n.c.H }

// Quantiles implements WindowForecaster.
func (n *Neural) Quantiles() []float64 { return n.p.Quantiles() }

// Forecast implements forecast.Forecaster for models without calendar
// inputs (it has no event times).
func (n *Neural) Forecast(dst []float64, histories [][]float64, h int) error {
	if len(n.futr) > 0 {
		return fmt.Errorf("neural model %s: calendar inputs need event times (ForecastAt)", n.kind)
	}
	return n.ForecastAt(dst, nil, histories, nil, h)
}

// ForecastAt implements WindowForecaster. h may be at most the trained
// horizon (the first h steps are returned).
func (n *Neural) ForecastAt(dst, q []float64, histories [][]float64, last []time.Time, h int) error {
	H := n.c.H
	nq := len(n.p.Quantiles())
	B := len(histories)
	switch {
	case h < 1 || h > H:
		return fmt.Errorf("%w: %s was trained for h=%d, asked for %d", forecast.ErrBadHorizon, n.kind, H, h)
	case len(dst) != B*h:
		return fmt.Errorf("%w: len(dst)=%d, len(histories)=%d, h=%d", forecast.ErrDstSize, len(dst), B, h)
	case q != nil && len(q) != B*h*nq:
		return fmt.Errorf("neural model: q has %d values for %d series × %d steps × %d quantiles", len(q), B, h, nq)
	case len(n.futr) > 0 && len(last) != B:
		return fmt.Errorf("neural model: %d event times for %d series", len(last), B)
	}
	if B == 0 {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	batch, err := n.fill(histories, last)
	if err != nil {
		return err
	}
	n.point, n.qb = grow(n.point, B*H), grow(n.qb, B*H*nq)
	var qb []float32
	if nq > 0 {
		qb = n.qb
	}
	if err := n.p.PredictBatch(n.point, qb, batch); err != nil {
		return err
	}
	for i := range B {
		for j := range h {
			dst[i*h+j] = float64(n.point[i*H+j])
			if q != nil {
				for k := range nq {
					q[(i*h+j)*nq+k] = float64(n.qb[(i*H+j)*nq+k])
				}
			}
		}
	}
	return nil
}

// fill builds the raw model inputs of the histories into n's buffers (n.mu
// held): the input windows, the historical features at every input step
// and the calendar features over input window and horizon; padded input
// steps of short histories are zero, as in training.
func (n *Neural) fill(histories [][]float64, last []time.Time) (*model.Batch, error) {
	L, H := n.c.InputSize, n.c.H
	F, X := len(n.futr), len(n.hist)
	B := len(histories)
	n.y, n.ymask = grow(n.y, B*L), grow(n.ymask, B*L)
	n.fbuf, n.hbuf = grow(n.fbuf, B*(L+H)*F), grow(n.hbuf, B*L*X)
	for i, hist := range histories {
		if len(hist) == 0 {
			return nil, fmt.Errorf("%w: series %d", forecast.ErrEmptyHistory, i)
		}
		model.FillWindow(n.y[i*L:(i+1)*L], n.ymask[i*L:(i+1)*L], hist)
		if X > 0 {
			features.HistWindow(n.hbuf[i*L*X:(i+1)*L*X], n.hist, hist, L)
		}
		if F > 0 {
			first := last[i].Add(-time.Duration(L-1) * n.freq)
			w := n.fbuf[i*(L+H)*F : (i+1)*(L+H)*F]
			features.CalendarWindow(w, n.futr, first, n.freq, L+H)
			if pad := L - len(hist); pad > 0 {
				clear(w[:pad*F]) // padded input steps carry no inputs, as in training
			}
		}
	}
	n.batch = model.Batch{B: B, Y: n.y, YMask: n.ymask, Futr: n.fbuf, Hist: n.hbuf}
	return &n.batch, nil
}

// loadNeural loads a model file for the stream. kind, unless "neural",
// must be the file's model kind.
func loadNeural(kind, path string, freq time.Duration) (*Neural, error) {
	l, err := model.LoadForInference(path)
	if err != nil {
		return nil, err
	}
	if kind != model.ForecasterName && kind != l.Model.Kind() {
		return nil, fmt.Errorf("--model %s, but %s holds a %s model", kind, path, l.Model.Kind())
	}
	return NewNeural(l.Model, fmt.Sprintf("%08x", l.Checksum), freq)
}

// isNeuralKind reports whether name selects a saved network (--model
// neural or a registered engine/model kind).
func isNeuralKind(name string) bool {
	if name == model.ForecasterName {
		return true
	}
	for _, k := range model.Kinds() {
		if k == name {
			return true
		}
	}
	return false
}
