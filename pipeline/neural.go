package pipeline

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/engine/model"
	_ "github.com/streamcast/streamcast/engine/models/all" // every model kind, for --model-file
	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/ingest"
	"github.com/streamcast/streamcast/pipeline/lifecycle"
)

// WindowForecaster is implemented by models that read the series' event
// times, per-step message variables and static attributes (see
// forecast.WindowForecaster). The Handler prefers it over Forecast.
type WindowForecaster = forecast.WindowForecaster

// NeuralInputs are the stream's sources of a network's inputs beyond its
// value window, derived features and calendar features: StepExog names
// the message variables kept per step by the feature store
// (features.Config.StepExog, the columns of Windows.Exog; a hist_exog_list
// name found there is read from the messages, the others must be derived
// features), and Static holds the series' static attributes
// (stat_exog_list).
type NeuralInputs = lifecycle.Inputs

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
	derived, futr []features.WindowFeature
	// histCol[k] is, for hist_exog_list entry k, the column of a message
	// variable in Windows.Exog, or −1−d for derived feature d.
	histCol  []int
	stepExog []string
	static   *ingest.Static
	statCol  []int // columns of static in stat_exog_list order
	need     int

	mu                                          sync.Mutex
	p                                           *model.Predictor
	y, ymask, fbuf, hbuf, dbuf, sbuf, point, qb []float32
	srow, xcol                                  []float64
	batch                                       model.Batch
}

var _ WindowForecaster = (*Neural)(nil)

// NewNeural wraps m (version identifies its weights). Each entry of its
// hist_exog_list must be a message variable of in.StepExog or a derived
// feature (mean_W, std_W, min_W, max_W, lag_K, ewma_A); its
// futr_exog_list must name calendar features (hour, dow, month and their
// sin/cos); its stat_exog_list columns of in.Static.
func NewNeural(m model.Model, version string, freq time.Duration, in NeuralInputs) (*Neural, error) {
	c := m.Common()
	if freq <= 0 {
		return nil, fmt.Errorf("neural model: --freq %v must be > 0", freq)
	}
	n := &Neural{kind: m.Kind(), version: version, c: c, freq: freq, p: model.NewPredictor(m),
		stepExog: in.StepExog, static: in.Static}
	for _, name := range c.HistExog {
		if j := slices.Index(in.StepExog, name); j >= 0 {
			n.histCol = append(n.histCol, j)
			continue
		}
		f, err := features.ParseWindowFeature(name)
		if err != nil {
			kept := "no --step-exog given"
			if len(in.StepExog) > 0 {
				kept = "--step-exog " + strings.Join(in.StepExog, ",")
			}
			return nil, fmt.Errorf("neural model %s: hist_exog_list: %q is neither a message variable kept per step (%s) nor a derived feature: %w",
				n.kind, name, kept, err)
		}
		if f.Calendar() {
			return nil, fmt.Errorf("neural model %s: hist_exog_list names calendar feature %q: calendar features are known for the horizon, train with them in futr_exog_list", n.kind, f.Name)
		}
		n.histCol = append(n.histCol, -1-len(n.derived))
		n.derived = append(n.derived, f)
	}
	var err error
	if n.futr, err = features.ParseWindowFeatures(c.FutrExog); err != nil {
		return nil, fmt.Errorf("neural model %s: futr_exog_list: %w", n.kind, err)
	}
	for _, f := range n.futr {
		if !f.Calendar() {
			return nil, fmt.Errorf("neural model %s: futr_exog_list names %q, which is not known for the horizon; the stream knows future calendar features only (%s)", n.kind, f.Name, strings.Join(features.CalendarNames(), ", "))
		}
	}
	if len(c.StatExog) > 0 && in.Static == nil {
		return nil, fmt.Errorf("neural model %s: static variables %q need --static-file", n.kind, c.StatExog)
	}
	for _, name := range c.StatExog {
		j := slices.Index(in.Static.Names, name)
		if j < 0 {
			return nil, fmt.Errorf("neural model %s: static variable %q is not a column of the static file (it has %s)", n.kind, name, strings.Join(in.Static.Names, ", "))
		}
		n.statCol = append(n.statCol, j)
	}
	n.need = c.InputSize + max(features.MaxSpan(n.derived), 1) - 1
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

// Forecast implements forecast.Forecaster for models that read nothing
// but the values (no calendar, message or static inputs).
func (n *Neural) Forecast(dst []float64, histories [][]float64, h int) error {
	switch {
	case len(n.futr) > 0:
		return fmt.Errorf("neural model %s: calendar inputs need event times (ForecastAt)", n.kind)
	case len(n.derived) < len(n.histCol):
		return fmt.Errorf("neural model %s: message variables need their per-step values (ForecastAt)", n.kind)
	case len(n.statCol) > 0:
		return fmt.Errorf("neural model %s: static inputs need series names (ForecastAt)", n.kind)
	}
	return n.ForecastAt(dst, nil, &forecast.Windows{Values: histories}, h)
}

// ForecastAt implements WindowForecaster. h may be at most the trained
// horizon (the first h steps are returned).
func (n *Neural) ForecastAt(dst, q []float64, w *forecast.Windows, h int) error {
	H := n.c.H
	nq := len(n.p.Quantiles())
	B := w.Len()
	switch {
	case h < 1 || h > H:
		return fmt.Errorf("%w: %s was trained for h=%d, asked for %d", forecast.ErrBadHorizon, n.kind, H, h)
	case len(dst) != B*h:
		return fmt.Errorf("%w: len(dst)=%d, len(histories)=%d, h=%d", forecast.ErrDstSize, len(dst), B, h)
	case q != nil && len(q) != B*h*nq:
		return fmt.Errorf("neural model: q has %d values for %d series × %d steps × %d quantiles", len(q), B, h, nq)
	case len(n.futr) > 0 && len(w.Last) != B:
		return fmt.Errorf("neural model: %d event times for %d series", len(w.Last), B)
	case len(n.statCol) > 0 && len(w.Series) != B:
		return fmt.Errorf("neural model: %d series names for %d series", len(w.Series), B)
	case len(n.derived) < len(n.histCol) && (len(w.Exog) != B || !slices.Equal(w.ExogNames, n.stepExog)):
		return fmt.Errorf("neural model: per-step message variables %q for %d series, the model reads %q", w.ExogNames, B, n.stepExog)
	}
	if err := w.Check(); err != nil {
		return err
	}
	if B == 0 {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	batch, err := n.fill(w)
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

// fill builds the raw model inputs of the windows into n's buffers (n.mu
// held): the input windows; the historical inputs at every input step
// (derived features, and message variables with a missing value read as
// the variable's previous value in the history, 0 before any); the
// calendar features over input window and horizon; the static
// attributes. Padded input steps of short histories are zero, as in
// training.
func (n *Neural) fill(w *forecast.Windows) (*model.Batch, error) {
	L, H := n.c.InputSize, n.c.H
	F, X, D, S := len(n.futr), len(n.histCol), len(n.derived), len(n.statCol)
	B := w.Len()
	n.y, n.ymask = grow(n.y, B*L), grow(n.ymask, B*L)
	n.fbuf, n.hbuf, n.dbuf = grow(n.fbuf, B*(L+H)*F), grow(n.hbuf, B*L*X), grow(n.dbuf, L*D)
	n.sbuf = grow(n.sbuf, B*S)
	for i, hist := range w.Values {
		if len(hist) == 0 {
			return nil, fmt.Errorf("%w: series %d", forecast.ErrEmptyHistory, i)
		}
		model.FillWindow(n.y[i*L:(i+1)*L], n.ymask[i*L:(i+1)*L], hist)
		if X > 0 {
			if D > 0 {
				features.HistWindow(n.dbuf, n.derived, hist, L)
			}
			var xrows []float64
			if w.Exog != nil {
				xrows = w.Exog[i]
			}
			n.fillHist(n.hbuf[i*L*X:(i+1)*L*X], hist, xrows, len(w.ExogNames))
		}
		if F > 0 {
			first := w.Last[i].Add(-time.Duration(L-1) * n.freq)
			fw := n.fbuf[i*(L+H)*F : (i+1)*(L+H)*F]
			features.CalendarWindow(fw, n.futr, first, n.freq, L+H)
			if pad := L - len(hist); pad > 0 {
				clear(fw[:pad*F]) // padded input steps carry no inputs, as in training
			}
		}
		if S > 0 {
			row, ok := n.static.Row(w.Series[i], n.srow)
			n.srow = row
			if !ok {
				return nil, fmt.Errorf("neural model %s: series %q has no row in the static file", n.kind, w.Series[i])
			}
			for k, j := range n.statCol {
				n.sbuf[i*S+k] = float32(row[j])
			}
		}
	}
	n.batch = model.Batch{B: B, Y: n.y, YMask: n.ymask, Futr: n.fbuf, Hist: n.hbuf, Stat: n.sbuf}
	return &n.batch, nil
}

// fillHist writes the historical inputs of one series' window (L×X, step
// major) from the derived features in n.dbuf (L×D) and the per-step
// message variables xrows (len(values)×e).
func (n *Neural) fillHist(dst []float32, values, xrows []float64, e int) {
	L, X, D := n.c.InputSize, len(n.histCol), len(n.derived)
	nv := len(values)
	for k, col := range n.histCol {
		if col < 0 {
			d := -1 - col
			for t := range L {
				dst[t*X+k] = n.dbuf[t*D+d]
			}
			continue
		}
		// the offline rule (features.StepExogColumn) over the whole stored history
		n.xcol = features.StepExogColumn(n.xcol, xrows, e, col)
		for t := range L {
			v := 0.0 // padded steps of a short history
			if s := t - (L - nv); s >= 0 {
				v = n.xcol[s]
			}
			dst[t*X+k] = float32(v)
		}
	}
}

// loadNeural loads a model file for the stream. kind, unless "neural",
// must be the file's model kind.
func loadNeural(kind, path string, freq time.Duration, in NeuralInputs) (*Neural, error) {
	l, err := model.LoadForInference(path)
	if err != nil {
		return nil, err
	}
	if kind != model.ForecasterName && kind != l.Model.Kind() {
		return nil, fmt.Errorf("--model %s, but %s holds a %s model", kind, path, l.Model.Kind())
	}
	return NewNeural(l.Model, fmt.Sprintf("%08x", l.Checksum), freq, in)
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
