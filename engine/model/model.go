// Package model defines the interface shared by streamcast's neural
// forecasting models, a registry that builds them by kind from
// hyper-parameters in JSON, a versioned binary model-file format, an
// allocation-free no-grad Predictor, and an adapter that turns a trained
// model into a forecast.Forecaster for the streaming pipeline.
//
// Model implementations live in their own packages (engine/models/...) and
// register themselves from init, like database/sql drivers:
//
//	import _ "github.com/streamcast/streamcast/engine/models/mlp"
//	m, err := model.New("mlp", []byte(`{"input_size":168,"h":24}`))
package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/nn"
	"github.com/streamcast/streamcast/engine/tensor"
)

// Param is a named trainable tensor (engine/nn's, PyTorch state_dict
// names). Names are stable across versions of a model kind: the model file
// stores tensors by name.
type Param = nn.Param

// Common holds the hyper-parameters every forecasting model shares
// (NeuralForecast's BaseModel arguments that shape the input and output).
type Common struct {
	// InputSize is the length L of the input window (required, >= 1).
	InputSize int `json:"input_size"`
	// H is the forecast horizon (required, >= 1).
	H int `json:"h"`
	// ScalerType is the per-window temporal scaler applied to every input
	// window (statistics from the window only) and inverted on the output:
	// "identity" (default, ""), or any type engine/scaler knows.
	ScalerType string `json:"scaler_type,omitempty"`
	// FutrExog names the future-known exogenous variables (NeuralForecast's
	// futr_exog_list): known over the input window and the horizon, e.g.
	// calendar features. Models that take none reject a non-empty list.
	FutrExog []string `json:"futr_exog_list,omitempty"`
	// HistExog names the historical exogenous variables (hist_exog_list):
	// known over the input window only, e.g. lags and rolling statistics.
	HistExog []string `json:"hist_exog_list,omitempty"`
	// StatExog names the static exogenous variables (stat_exog_list): one
	// value per series.
	StatExog []string `json:"stat_exog_list,omitempty"`
	// Loss is the training loss (nil: MAE). Its Outputs() sets the number
	// of output channels per horizon step (NeuralForecast's
	// outputsize_multiplier): MQLoss one per quantile, DistributionLoss one
	// per distribution parameter.
	Loss *loss.Config `json:"loss,omitempty"`
}

// Limits on shapes accepted from hyper-parameters (and therefore from model
// files): they keep a corrupt or hostile file from requesting absurd memory.
const (
	MaxInputSize = 1 << 20
	MaxHorizon   = 1 << 16
	// MaxParams bounds the number of float32 parameters of one model (1 GiB).
	MaxParams = 1 << 28
)

// Validate checks the shared hyper-parameters.
func (c Common) Validate() error {
	if c.InputSize < 1 || c.InputSize > MaxInputSize {
		return fmt.Errorf("model: input_size %d must be in [1, %d]", c.InputSize, MaxInputSize)
	}
	if c.H < 1 || c.H > MaxHorizon {
		return fmt.Errorf("model: h %d must be in [1, %d]", c.H, MaxHorizon)
	}
	if !knownScaler(c.ScalerType) {
		return fmt.Errorf("model: unknown scaler_type %q (known: %v)", c.ScalerType, ScalerTypes())
	}
	if err := c.validateExog(); err != nil {
		return err
	}
	if c.Loss != nil {
		if err := c.Loss.Validate(); err != nil {
			return fmt.Errorf("model: %w", err)
		}
	}
	return nil
}

// Model is a trainable forecasting network mapping an input window to h
// point forecasts.
type Model interface {
	// Kind is the registry name, e.g. "mlp".
	Kind() string
	// Common returns the shared hyper-parameters.
	Common() Common
	// Hyper returns the full hyper-parameters; json.Marshal of it must be
	// accepted by the kind's factory and rebuild the same architecture.
	Hyper() any
	// Params lists the trainable tensors in a fixed order.
	Params() []Param
	// Forward maps x of shape [B, InputSize] (already scaled) to
	// [B, H·Outputs] (Common.Outputs channels per step, innermost; one for
	// point losses). It must build the same graph for the same B, so that
	// the tape's arena replays buffers and the call allocates nothing after
	// warm-up. Models with exogenous variables implement ExogModel, and
	// callers with exogenous data call ForwardInputs instead.
	Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor
}

// Factory builds a model of one kind from its hyper-parameters in JSON.
// When init is true the weights get their seeded initial values; when false
// they are left zero because the caller (the model-file loader) fills them.
type Factory func(hyper []byte, init bool) (Model, error)

// Spec describes a registered model kind.
type Spec struct {
	// New builds a model.
	New Factory
	// NumParams returns how many float32 parameters the hyper-parameters
	// imply, without allocating them (the loader checks it against the file
	// before building the model).
	NumParams func(hyper []byte) (int, error)
}

// ErrUnknownKind is returned for kinds nobody registered.
var ErrUnknownKind = errors.New("model: unknown model kind")

var (
	regMu sync.RWMutex
	specs = map[string]Spec{}
)

// Register adds a model kind; it panics on an empty or duplicate kind or a
// Spec with nil functions (programmer errors at init time).
func Register(kind string, s Spec) {
	if kind == "" || s.New == nil || s.NumParams == nil {
		panic("model: Register needs a kind, New and NumParams")
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := specs[kind]; dup {
		panic("model: kind " + kind + " registered twice")
	}
	specs[kind] = s
}

func spec(kind string) (Spec, error) {
	regMu.RLock()
	s, ok := specs[kind]
	regMu.RUnlock()
	if !ok {
		return Spec{}, fmt.Errorf("%w %q (known: %v)", ErrUnknownKind, kind, Kinds())
	}
	return s, nil
}

// Kinds lists the registered kinds, sorted.
func Kinds() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(specs))
	for k := range specs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// New builds a freshly initialised model of the given kind from JSON
// hyper-parameters (missing fields take the kind's documented defaults).
func New(kind string, hyper []byte) (Model, error) {
	s, err := spec(kind)
	if err != nil {
		return nil, err
	}
	return s.New(hyper, true)
}

// HyperJSON returns m's hyper-parameters as JSON.
func HyperJSON(m Model) ([]byte, error) {
	b, err := json.Marshal(m.Hyper())
	if err != nil {
		return nil, fmt.Errorf("model: encode hyper-parameters of %s: %w", m.Kind(), err)
	}
	return b, nil
}

// NumParams returns the total number of parameter values of m.
func NumParams(m Model) int {
	n := 0
	for _, p := range m.Params() {
		n += len(p.T.Data)
	}
	return n
}

// DecodeHyper unmarshals JSON hyper-parameters strictly (unknown fields are
// an error) into dst, which holds the defaults beforehand. Empty input keeps
// the defaults. Factories use it.
func DecodeHyper(hyper []byte, dst any) error {
	if len(hyper) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(hyper))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("model: hyper-parameters: %w", err)
	}
	if dec.More() {
		return errors.New("model: hyper-parameters: trailing data after the JSON object")
	}
	return nil
}
