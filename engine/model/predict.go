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
	mask []float32 // input validity (front padding of short histories)
}

// NewPredictor returns a no-grad predictor for m.
func NewPredictor(m Model) *Predictor {
	c := m.Common()
	sc, err := NewModelScaler(m)
	if err != nil {
		panic(err) // the model accepted a scaler type it cannot serve
	}
	return &Predictor{m: m, c: c, tp: tensor.NewInferenceTape(), sc: sc}
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
	var mask []float32
	if !p.sc.Identity() {
		if cap(p.mask) < len(x.Data) {
			p.mask = make([]float32, len(x.Data))
		}
		mask = p.mask[:len(x.Data)]
	}
	for i, h := range histories {
		row := x.Data[i*L : (i+1)*L]
		if len(h) > L {
			h = h[len(h)-L:]
		}
		pad := L - len(h)
		for j, v := range h {
			row[pad+j] = float32(v)
		}
		if mask != nil {
			m := mask[i*L : (i+1)*L]
			for j := range m {
				m[j] = 0
				if j >= pad {
					m[j] = 1
				}
			}
		}
	}
	y := p.forward(x, mask)
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
	copy(dst, p.forward(xt, nil).Data)
	return nil
}

// forward scales x (statistics from the inputs valid under mask, nil =
// all), runs the model and maps the output back to the data scale.
func (p *Predictor) forward(x *tensor.Tensor, mask []float32) *tensor.Tensor {
	p.sc.Fit(x, mask)
	return p.sc.Inverse(p.tp, p.m.Forward(p.tp, p.sc.Transform(p.tp, x)))
}
