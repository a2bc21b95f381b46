package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/streamcast/streamcast/engine/tensor"
)

// Linear is PyTorch's nn.Linear: y = x·Wᵀ + b with W of shape (Out, In)
// and b of shape (Out) or nil. Parameters are "weight" and "bias".
type Linear struct {
	In, Out int
	Weight  *tensor.Tensor
	Bias    *tensor.Tensor // nil without bias
}

// NewLinear returns a Linear layer initialised as PyTorch does
// (InitLayerDefault). It panics if in or out is < 1 (callers validate
// their configuration first).
func NewLinear(in, out int, bias bool, rng *rand.Rand) *Linear {
	if in < 1 || out < 1 {
		panic(fmt.Sprintf("nn: Linear(%d, %d) needs positive sizes", in, out))
	}
	l := &Linear{In: in, Out: out, Weight: tensor.NewParam(out, in)}
	if bias {
		l.Bias = tensor.NewParam(out)
	}
	InitLayerDefault(l.Weight, l.Bias, rng)
	return l
}

// Forward returns x·Wᵀ + b for x of shape (…, In).
func (l *Linear) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	return tensor.Linear(tp, x, l.Weight, l.Bias)
}

// Params returns "weight" and, with a bias, "bias".
func (l *Linear) Params() []Param {
	if l.Bias == nil {
		return []Param{{"weight", l.Weight}}
	}
	return []Param{{"weight", l.Weight}, {"bias", l.Bias}}
}

// Activation is an elementwise differentiable op such as tensor.ReLU.
type Activation func(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor

// MLP is a stack of Linear layers with an activation between consecutive
// layers (none after the last), like nn.Sequential(Linear, act, …, Linear)
// without the activation modules' indices: the parameters are named
// "layers.<i>.weight" and "layers.<i>.bias".
type MLP struct {
	Layers []*Linear
	Act    Activation
}

// NewMLP returns an MLP with layer widths sizes (sizes[0] inputs,
// sizes[len-1] outputs, at least two entries, all positive), biases
// everywhere, PyTorch default initialisation and activation act (nil means
// identity). It returns an error for invalid sizes.
func NewMLP(sizes []int, act Activation, rng *rand.Rand) (*MLP, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("nn: MLP needs at least input and output sizes, got %v", sizes)
	}
	for _, s := range sizes {
		if s < 1 {
			return nil, fmt.Errorf("nn: MLP sizes %v must be positive", sizes)
		}
	}
	m := &MLP{Act: act, Layers: make([]*Linear, len(sizes)-1)}
	for i := range m.Layers {
		m.Layers[i] = NewLinear(sizes[i], sizes[i+1], true, rng)
	}
	return m, nil
}

// Forward applies the layers to x of shape (…, sizes[0]).
func (m *MLP) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	for i, l := range m.Layers {
		x = l.Forward(tp, x)
		if m.Act != nil && i < len(m.Layers)-1 {
			x = m.Act(tp, x)
		}
	}
	return x
}

// Params returns "layers.<i>.weight" and "layers.<i>.bias" for every layer.
func (m *MLP) Params() []Param {
	mods := make([]Module, len(m.Layers))
	for i, l := range m.Layers {
		mods[i] = l
	}
	return Collect("layers", mods...)
}
