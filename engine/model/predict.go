package model

import (
	"errors"
	"fmt"

	"github.com/streamcast/streamcast/engine/tensor"
)

// ErrEmptyHistory is returned when a series to forecast has no values.
var ErrEmptyHistory = errors.New("model: empty history")

// Predictor runs a model forward without recording gradients. After the
// first call with a given batch size it allocates nothing: every
// intermediate comes from its inference tape's arena.
//
// A Predictor is not safe for concurrent use; build one per goroutine
// (they may share the Model, whose weights are only read).
type Predictor struct {
	m    Model
	c    Common
	tp   *tensor.Tape
	sc   *WindowScaler
	ex   *ExogScaler
	head *Head
	// scratch of the univariate entry points
	y, mask, point []float32
}

// NewPredictor returns a no-grad predictor for m.
func NewPredictor(m Model) *Predictor {
	c := m.Common()
	sc, err := NewModelScaler(m)
	if err != nil {
		panic(err) // the model accepted a scaler type it cannot serve
	}
	ex, err := NewExogScaler(c.ScalerType)
	if err != nil {
		panic(err)
	}
	head, err := NewHead(c)
	if err != nil {
		panic(err) // Validate accepted the loss
	}
	return &Predictor{m: m, c: c, tp: tensor.NewInferenceTape(), sc: sc, ex: ex, head: head}
}

// Model returns the wrapped model.
func (p *Predictor) Model() Model { return p.m }

// Quantiles lists the quantile levels PredictBatch writes (ascending; nil
// for models trained with a point loss).
func (p *Predictor) Quantiles() []float64 { return p.head.Quantiles() }

// PredictBatch forecasts the windows of b: point forecasts into point
// (B×H, row-major) and, when q is not nil, the predictive quantiles into q
// (B×H×len(Quantiles()), quantile innermost).
func (p *Predictor) PredictBatch(point, q []float32, b *Batch) error {
	if err := p.c.CheckBatch(b); err != nil {
		return err
	}
	H := p.c.H
	if len(point) != b.B*H {
		return fmt.Errorf("model: point has %d values for %d windows × h=%d", len(point), b.B, H)
	}
	if q != nil && len(q) != b.B*H*len(p.head.qs) {
		return fmt.Errorf("model: q has %d values for %d windows × h=%d × %d quantiles", len(q), b.B, H, len(p.head.qs))
	}
	if b.B == 0 {
		return nil
	}
	p.tp.Reset()
	yhat := p.forward(b)
	p.head.decode(point, q, p.tp, yhat, p.sc)
	return nil
}

// forward scales the batch (target statistics from its observed inputs),
// runs the model and returns its raw output [B, H·Outputs] on the scaled
// space.
func (p *Predictor) forward(b *Batch) *tensor.Tensor {
	return Run(p.tp, p.m, ScaleInputs(p.tp, p.c, p.sc, p.ex, b))
}

// Predict writes H point forecasts per history into dst, row-major
// (dst[i*H+j] is step j+1 of series i). Each history is ordered oldest
// first; its last InputSize values form the input window and a shorter
// history is padded with zeros at the front, as NeuralForecast does. Models
// with exogenous variables need PredictBatch.
func (p *Predictor) Predict(dst []float64, histories [][]float64) error {
	L, H := p.c.InputSize, p.c.H
	if len(dst) != len(histories)*H {
		return fmt.Errorf("model: dst has %d values for %d series × h=%d", len(dst), len(histories), H)
	}
	if p.c.HasExog() {
		return fmt.Errorf("model: %s takes exogenous variables; forecast it with PredictBatch", p.m.Kind())
	}
	if len(histories) == 0 {
		return nil
	}
	n := len(histories)
	p.y, p.point = grow32(p.y, n*L), grow32(p.point, n*H)
	var mask []float32
	if !p.sc.Identity() {
		p.mask = grow32(p.mask, n*L)
		mask = p.mask
	}
	for i, h := range histories {
		if len(h) == 0 {
			return fmt.Errorf("%w (series %d)", ErrEmptyHistory, i)
		}
		FillWindow(p.y[i*L:(i+1)*L], maskRow(mask, i, L), h)
	}
	if err := p.PredictBatch(p.point, nil, &Batch{B: n, Y: p.y, YMask: mask}); err != nil {
		return err
	}
	for i, v := range p.point {
		dst[i] = float64(v)
	}
	return nil
}

func maskRow(mask []float32, i, L int) []float32 {
	if mask == nil {
		return nil
	}
	return mask[i*L : (i+1)*L]
}

// FillWindow writes the last len(row) values of h into row, zero-padded at
// the front when h is shorter, and their availability into mask (may be
// nil): 1 for values, 0 for padding.
func FillWindow(row, mask []float32, h []float64) {
	L := len(row)
	if len(h) > L {
		h = h[len(h)-L:]
	}
	pad := L - len(h)
	clear(row[:pad])
	for j, v := range h {
		row[pad+j] = float32(v)
	}
	if mask != nil {
		clear(mask[:pad])
		for j := pad; j < L; j++ {
			mask[j] = 1
		}
	}
}

// PredictWindows forecasts b input windows stored row-major in x
// (len b·InputSize, all observed) into dst (len b·H point forecasts).
func (p *Predictor) PredictWindows(dst, x []float32, b int) error {
	L, H := p.c.InputSize, p.c.H
	if len(x) != b*L || len(dst) != b*H {
		return fmt.Errorf("model: PredictWindows: %d inputs and %d outputs for %d windows of %d → %d", len(x), len(dst), b, L, H)
	}
	return p.PredictBatch(dst, nil, &Batch{B: b, Y: x})
}
