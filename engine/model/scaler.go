package model

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/scaler"
	"github.com/streamcast/streamcast/engine/tensor"
)

// ScalerTypes lists the accepted values of Common.ScalerType ("" means
// identity). RevIN is not accepted yet: its learnable affine parameters are
// not part of Model.Params, so they would be neither trained nor saved.
func ScalerTypes() []string {
	return []string{"identity", "standard", "robust", "minmax", "minmax1"}
}

func knownScaler(s string) bool {
	k, err := scaler.ParseKind(s)
	return err == nil && k != scaler.RevIN
}

// WindowScaler applies a model's per-window temporal scaler
// (NeuralForecast's TemporalNorm): statistics come from the valid input
// values of each window only, inputs are scaled with them and outputs are
// mapped back. The identity scaler costs nothing. Buffers are reused, so
// steady-state use allocates nothing. Not safe for concurrent use.
type WindowScaler struct {
	s          *scaler.Scaler // nil for identity
	loc, scale []float32
}

// NewWindowScaler returns the scaler named by scalerType (see ScalerTypes).
func NewWindowScaler(scalerType string) (*WindowScaler, error) {
	if !knownScaler(scalerType) {
		return nil, fmt.Errorf("model: unknown scaler_type %q (known: %v)", scalerType, ScalerTypes())
	}
	k, _ := scaler.ParseKind(scalerType)
	if k == scaler.Identity {
		return &WindowScaler{}, nil
	}
	s, err := scaler.New(k, 1)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return &WindowScaler{s: s}, nil
}

// Identity reports whether the scaler leaves values unchanged.
func (w *WindowScaler) Identity() bool { return w.s == nil }

// Fit computes the statistics of the rows of x [B, L]; mask (nil: every
// value valid) marks valid inputs with 1.
func (w *WindowScaler) Fit(x *tensor.Tensor, mask []float32) {
	if w.s == nil {
		return
	}
	b := x.Shape[0]
	if cap(w.loc) < b {
		w.loc, w.scale = make([]float32, b), make([]float32, b)
	}
	w.loc, w.scale = w.loc[:b], w.scale[:b]
	w.s.Fit(w.loc, w.scale, x.Data, mask, b, len(x.Data)/max(b, 1))
}

// Transform returns x scaled with the statistics of the last Fit.
func (w *WindowScaler) Transform(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	if w.s == nil {
		return x
	}
	return w.s.Transform(tp, x, w.loc, w.scale)
}

// ScaleInPlace scales constant targets y (rows of the same windows) in place.
func (w *WindowScaler) ScaleInPlace(y []float32, rows int) {
	if w.s == nil || rows == 0 {
		return
	}
	l := len(y) / rows
	for r := 0; r < rows; r++ {
		m, inv := w.loc[r], 1/w.scale[r]
		row := y[r*l : (r+1)*l]
		for i, v := range row {
			row[i] = (v - m) * inv
		}
	}
}

// Inverse maps model outputs z [B, H] back to the data scale.
func (w *WindowScaler) Inverse(tp *tensor.Tape, z *tensor.Tensor) *tensor.Tensor {
	if w.s == nil {
		return z
	}
	return w.s.InverseTransform(tp, z, w.loc, w.scale)
}
