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
	m  Model
	c  Common
	tp *tensor.Tape
}

// NewPredictor returns a no-grad predictor for m.
func NewPredictor(m Model) *Predictor {
	return &Predictor{m: m, c: m.Common(), tp: tensor.NewInferenceTape()}
}

// Model returns the wrapped model.
func (p *Predictor) Model() Model { return p.m }

// Predict writes H forecasts per history into dst, row-major
// (dst[i*H+j] is step j+1 of series i). Each history is ordered oldest
// first; its last InputSize values form the input window and a shorter
// history is padded with zeros at the front, as NeuralForecast does.
func (p *Predictor) Predict(dst []float64, histories [][]float64) error {
	L, H := p.c.InputSize, p.c.H
	if len(dst) != len(histories)*H {
		return fmt.Errorf("model: dst has %d values for %d series × h=%d", len(dst), len(histories), H)
	}
	if len(histories) == 0 {
		return nil
	}
	for i, h := range histories {
		if len(h) == 0 {
			return fmt.Errorf("%w (series %d)", ErrEmptyHistory, i)
		}
	}
	p.tp.Reset()
	x := p.tp.Result([]int{len(histories), L})
	for i, h := range histories {
		row := x.Data[i*L : (i+1)*L]
		if len(h) > L {
			h = h[len(h)-L:]
		}
		pad := L - len(h)
		for j, v := range h {
			row[pad+j] = float32(v)
		}
	}
	y := p.forward(x)
	for i, v := range y.Data {
		dst[i] = float64(v)
	}
	return nil
}

// PredictWindows forecasts b input windows stored row-major in x
// (len b·InputSize) into dst (len b·H).
func (p *Predictor) PredictWindows(dst, x []float32, b int) error {
	L, H := p.c.InputSize, p.c.H
	if len(x) != b*L || len(dst) != b*H {
		return fmt.Errorf("model: PredictWindows: %d inputs and %d outputs for %d windows of %d → %d", len(x), len(dst), b, L, H)
	}
	if b == 0 {
		return nil
	}
	p.tp.Reset()
	xt := p.tp.Result([]int{b, L})
	copy(xt.Data, x)
	copy(dst, p.forward(xt).Data)
	return nil
}

func (p *Predictor) forward(x *tensor.Tensor) *tensor.Tensor {
	return p.m.Forward(p.tp, x)
}
