package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/streamcast/streamcast/engine/tensor"
)

// Conv1d is PyTorch's nn.Conv1d: weight (Cout, Cin/Groups, K), bias (Cout)
// or nil, initialised with InitLayerDefault (U(±1/√(Cin/Groups·K))).
// Parameters are "weight" and "bias".
type Conv1d struct {
	In, Out, Kernel int
	Config          tensor.Conv1dConfig
	Weight, Bias    *tensor.Tensor
}

// NewConv1d returns a Conv1d layer. It returns an error for non-positive
// sizes or channel counts that the groups do not divide.
func NewConv1d(in, out, kernel int, cfg tensor.Conv1dConfig, bias bool, rng *rand.Rand) (*Conv1d, error) {
	g := cfg.Groups
	if g == 0 {
		g = 1
	}
	if in < 1 || out < 1 || kernel < 1 || g < 1 || in%g != 0 || out%g != 0 {
		return nil, fmt.Errorf("nn: Conv1d(in %d, out %d, kernel %d, groups %d): sizes must be positive and divisible by groups", in, out, kernel, g)
	}
	if cfg.Stride < 0 || cfg.Padding < 0 || cfg.Dilation < 0 || (cfg.Causal && cfg.Padding != 0) {
		return nil, fmt.Errorf("nn: Conv1d invalid config %+v", cfg)
	}
	c := &Conv1d{In: in, Out: out, Kernel: kernel, Config: cfg, Weight: tensor.NewParam(out, in/g, kernel)}
	if bias {
		c.Bias = tensor.NewParam(out)
	}
	InitLayerDefault(c.Weight, c.Bias, rng)
	return c, nil
}

// Forward convolves x of shape (N, In, L) into (N, Out, Lout).
func (c *Conv1d) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	return tensor.Conv1d(tp, x, c.Weight, c.Bias, c.Config)
}

// Params returns "weight" and, with a bias, "bias".
func (c *Conv1d) Params() []Param {
	if c.Bias == nil {
		return []Param{{"weight", c.Weight}}
	}
	return []Param{{"weight", c.Weight}, {"bias", c.Bias}}
}

// LayerNorm is PyTorch's nn.LayerNorm over the last len(shape) axes with
// elementwise affine parameters "weight" (ones) and "bias" (zeros).
type LayerNorm struct {
	Eps          float32 // default 1e-5
	Weight, Bias *tensor.Tensor
	ndims        int
}

// NewLayerNorm returns a LayerNorm over normalized shape (PyTorch's
// normalized_shape), eps 1e-5.
func NewLayerNorm(shape ...int) (*LayerNorm, error) {
	if len(shape) == 0 {
		return nil, fmt.Errorf("nn: LayerNorm needs a normalized shape")
	}
	for _, d := range shape {
		if d < 1 {
			return nil, fmt.Errorf("nn: LayerNorm normalized shape %v must be positive", shape)
		}
	}
	l := &LayerNorm{Eps: 1e-5, Weight: tensor.NewParam(shape...), Bias: tensor.NewParam(shape...), ndims: len(shape)}
	InitConstant(l.Weight, 1)
	return l, nil
}

// Forward normalises x over its last axes.
func (l *LayerNorm) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	return tensor.LayerNorm(tp, x, l.ndims, l.Weight, l.Bias, l.Eps)
}

// Params returns "weight" and "bias".
func (l *LayerNorm) Params() []Param {
	return []Param{{"weight", l.Weight}, {"bias", l.Bias}}
}

// Embedding is PyTorch's nn.Embedding: a (V, D) table "weight"
// initialised with N(0, 1).
type Embedding struct {
	Weight *tensor.Tensor
}

// NewEmbedding returns an embedding of v rows of dimension d.
func NewEmbedding(v, d int, rng *rand.Rand) (*Embedding, error) {
	if v < 1 || d < 1 {
		return nil, fmt.Errorf("nn: Embedding(%d, %d) needs positive sizes", v, d)
	}
	e := &Embedding{Weight: tensor.NewParam(v, d)}
	InitNormal(e.Weight, 0, 1, rng)
	return e, nil
}

// Forward looks up rows idx (each in [0, V)); the result has shape
// indexShape + (D), or (len(idx), D) without indexShape.
func (e *Embedding) Forward(tp *tensor.Tape, idx []int, indexShape ...int) *tensor.Tensor {
	return tensor.Embedding(tp, e.Weight, idx, indexShape...)
}

// Params returns "weight".
func (e *Embedding) Params() []Param { return []Param{{"weight", e.Weight}} }
