package model

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/scaler"
	"github.com/streamcast/streamcast/engine/tensor"
)

// ScalerTypes lists the accepted values of Common.ScalerType ("" means
// identity). "revin" needs a model that owns RevIN's learnable affine
// parameters (see RevINOwner), so that they are trained and saved with its
// weights.
func ScalerTypes() []string {
	return []string{"identity", "standard", "robust", "minmax", "minmax1", "revin"}
}

func knownScaler(s string) bool {
	_, err := scaler.ParseKind(s)
	return err == nil
}

// RevINOwner is implemented by models that hold RevIN's affine parameters
// (NeuralForecast keeps them in the model's TemporalNorm, as
// scaler.revin_bias and scaler.revin_weight, so they are part of its
// state_dict). RevIN returns nil when the model uses another scaler.
type RevINOwner interface {
	RevIN() *scaler.Scaler
}

// NewModelScaler returns the window scaler of m: for "revin" one that
// shares m's affine parameters (RevINOwner), otherwise NewWindowScaler.
func NewModelScaler(m Model) (*WindowScaler, error) {
	c := m.Common()
	k, err := scaler.ParseKind(c.ScalerType)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if k != scaler.RevIN {
		return NewWindowScaler(c.ScalerType)
	}
	o, ok := m.(RevINOwner)
	if !ok || o.RevIN() == nil {
		return nil, fmt.Errorf("model: %s does not hold RevIN parameters, so scaler_type revin is not available for it", m.Kind())
	}
	// A scaler of its own (Scalers keep scratch buffers), sharing the
	// model's parameter tensors.
	s, err := scaler.New(scaler.RevIN, 1)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	s.Weight, s.Bias = o.RevIN().Weight, o.RevIN().Bias
	return &WindowScaler{s: s}, nil
}

// WindowScaler applies a model's per-window temporal scaler
// (NeuralForecast's TemporalNorm): statistics come from the valid input
// values of each window only, inputs are scaled with them and outputs are
// mapped back. The identity scaler costs nothing. Buffers are reused, so
// steady-state use allocates nothing. Not safe for concurrent use.
type WindowScaler struct {
	s            *scaler.Scaler // nil for identity
	loc, scale   []float32
	aloc, ascale []float32 // anchored statistics (distribution losses)
}

// NewWindowScaler returns the scaler named by scalerType (see ScalerTypes)
// for every type but "revin", whose parameters belong to a model (use
// NewModelScaler).
func NewWindowScaler(scalerType string) (*WindowScaler, error) {
	if !knownScaler(scalerType) {
		return nil, fmt.Errorf("model: unknown scaler_type %q (known: %v)", scalerType, ScalerTypes())
	}
	k, _ := scaler.ParseKind(scalerType)
	if k == scaler.RevIN {
		return nil, fmt.Errorf("model: scaler_type revin needs the model's parameters (NewModelScaler)")
	}
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

// anchor returns the per-row statistics of the last Fit as a distribution
// loss expects them (nil, nil for the identity scaler; RevIN's affine
// parameters folded in).
func (w *WindowScaler) anchor() (loc, scale []float32) {
	if w.s == nil {
		return nil, nil
	}
	n := len(w.loc)
	if cap(w.aloc) < n {
		w.aloc, w.ascale = make([]float32, n), make([]float32, n)
	}
	w.aloc, w.ascale = w.aloc[:n], w.ascale[:n]
	w.s.Anchor(w.aloc, w.ascale, w.loc, w.scale)
	return w.aloc, w.ascale
}
