// Package nfblock holds the pieces NeuralForecast's NBEATS, NBEATSx and
// NHITS share: the block MLP with NeuralForecast's exact layer layout, its
// activations, and the residual-stacking bookkeeping.
//
// The block MLP of NeuralForecast (NBEATSBlock / NHITSBlock) is the
// nn.Sequential
//
//	Linear(in, u₀₀), Linear(u₀₀, u₀₁), act, [Dropout],
//	                 Linear(u₁₀, u₁₁), act, [Dropout], …,
//	Linear(u_{n−1,1}, n_theta)
//
// for mlp_units = [[u₀₀, u₀₁], …, [u_{n−1,0}, u_{n−1,1}]]: the first layer
// has no activation of its own (it feeds the second Linear directly), one
// activation module instance is shared by every position, and Dropout
// follows each activation when dropout_prob_theta > 0. Parameters are named
// by their Sequential index ("layers.<i>.weight"), as in the state_dict.
package nfblock

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/streamcast/streamcast/engine/nn"
	"github.com/streamcast/streamcast/engine/tensor"
)

// Activations are NeuralForecast's ACTIVATIONS, all supported.
var Activations = []string{"ReLU", "Softplus", "Tanh", "SELU", "LeakyReLU", "PReLU", "Sigmoid"}

// SELU's constants (torch.nn.SELU).
const (
	seluAlpha = 1.6732632423543772848170429916717
	seluScale = 1.0507009873554804934193349852946
	// leakySlope is torch.nn.LeakyReLU's default negative_slope.
	leakySlope = 0.01
	// preluInit is torch.nn.PReLU's default initial slope.
	preluInit = 0.25
)

// CheckActivation returns an error for names outside Activations.
func CheckActivation(kind, name string) error {
	if !slices.Contains(Activations, name) {
		return fmt.Errorf("%s: activation %q is not one of %v", kind, name, Activations)
	}
	return nil
}

// CheckMLPUnits validates mlp_units: at least one [in, out] pair of
// positive widths, consecutive pairs chained (u_{k,0} = u_{k−1,1}, as
// NeuralForecast's Sequential needs to run at all), widths at most 65536.
func CheckMLPUnits(kind string, units [][]int) error {
	if len(units) == 0 || len(units) > 64 {
		return fmt.Errorf("%s: mlp_units needs 1 to 64 [in, out] pairs, got %d", kind, len(units))
	}
	for k, u := range units {
		if len(u) != 2 {
			return fmt.Errorf("%s: mlp_units[%d] = %v must be an [in, out] pair", kind, k, u)
		}
		if u[0] < 1 || u[1] < 1 || u[0] > 1<<16 || u[1] > 1<<16 {
			return fmt.Errorf("%s: mlp_units[%d] = %v: widths must be in [1, 65536]", kind, k, u)
		}
		if k > 0 && u[0] != units[k-1][1] {
			return fmt.Errorf("%s: mlp_units[%d] = %v does not take the %d outputs of mlp_units[%d]", kind, k, u, units[k-1][1], k-1)
		}
	}
	return nil
}

// CheckDropout validates a dropout probability in [0, 1).
func CheckDropout(kind string, p float64) error {
	if !(p >= 0 && p < 1) {
		return fmt.Errorf("%s: dropout_prob_theta %g must be in [0, 1)", kind, p)
	}
	return nil
}

// NumParams is the number of trainable values of one block MLP with in
// inputs and nTheta outputs.
func NumParams(in int, units [][]int, nTheta int, act string) int {
	n := (in + 1) * units[0][0]
	for _, u := range units {
		n += (u[0] + 1) * u[1]
	}
	n += (units[len(units)-1][1] + 1) * nTheta
	if act == "PReLU" {
		n++
	}
	return n
}

// MLP is one block's network.
type MLP struct {
	lin     []*nn.Linear // input layer, one per mlp_units pair, output layer
	seq     []int        // Sequential index of each Linear
	actIdx  int          // Sequential index of the first activation (PReLU's name)
	act     string
	prelu   *tensor.Tensor // PReLU's slope, shape [1]
	dropout float32
}

// NewMLP builds a block MLP. With init the weights take PyTorch's default
// nn.Linear initialisation from rng (in construction order); otherwise they
// stay zero for a loader to fill.
func NewMLP(in int, units [][]int, nTheta int, act string, dropout float64, init bool, rng *rand.Rand) *MLP {
	m := &MLP{act: act, dropout: float32(dropout)}
	layer := func(i, o int) {
		l := &nn.Linear{In: i, Out: o, Weight: tensor.NewParam(o, i), Bias: tensor.NewParam(o)}
		if init {
			nn.InitLayerDefault(l.Weight, l.Bias, rng)
		}
		m.lin = append(m.lin, l)
	}
	layer(in, units[0][0])
	m.seq = append(m.seq, 0)
	pos := 1
	m.actIdx = 2
	for _, u := range units {
		layer(u[0], u[1])
		m.seq = append(m.seq, pos)
		pos += 2 // Linear, activation
		if dropout > 0 {
			pos++ // Dropout
		}
	}
	layer(units[len(units)-1][1], nTheta)
	m.seq = append(m.seq, pos)
	if act == "PReLU" {
		m.prelu = tensor.NewParam(1)
		m.prelu.Data[0] = preluInit
	}
	return m
}

// Params returns "layers.<i>.weight", "layers.<i>.bias" in Sequential
// order; PReLU's shared slope appears once, under the index of its first
// position (where named_parameters lists it).
func (m *MLP) Params() []nn.Param {
	var ps []nn.Param
	for i, l := range m.lin {
		p := fmt.Sprintf("layers.%d", m.seq[i])
		ps = append(ps, nn.Prefixed(p, l)...)
		if i == 1 && m.prelu != nil {
			ps = append(ps, nn.Param{Name: fmt.Sprintf("layers.%d.weight", m.actIdx), T: m.prelu})
		}
	}
	return ps
}

// Forward maps x [B, in] to theta [B, nTheta]. Dropout is active when
// train is true (callers pass "training tape or forced train mode") and
// draws its masks from rng.
func (m *MLP) Forward(tp *tensor.Tape, x *tensor.Tensor, train bool, rng *rand.Rand) *tensor.Tensor {
	x = m.lin[0].Forward(tp, x)
	last := len(m.lin) - 1
	for _, l := range m.lin[1:last] {
		x = m.activate(tp, l.Forward(tp, x))
		if m.dropout > 0 && train {
			x = Dropout(tp, x, m.dropout, rng)
		}
	}
	return m.lin[last].Forward(tp, x)
}

func (m *MLP) activate(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	switch m.act {
	case "ReLU":
		return tensor.ReLU(tp, x)
	case "Softplus":
		return tensor.Softplus(tp, x, 1, 20)
	case "Tanh":
		return tensor.Tanh(tp, x)
	case "Sigmoid":
		return tensor.Sigmoid(tp, x)
	case "SELU":
		return tensor.MulScalar(tp, tensor.ELU(tp, x, seluAlpha), seluScale)
	case "LeakyReLU": // max(0, x) + s·min(0, x) = relu(x) − s·relu(−x)
		return tensor.Sub(tp, tensor.ReLU(tp, x), tensor.MulScalar(tp, tensor.ReLU(tp, tensor.Neg(tp, x)), leakySlope))
	case "PReLU":
		return tensor.Sub(tp, tensor.ReLU(tp, x), tensor.Mul(tp, tensor.ReLU(tp, tensor.Neg(tp, x)), m.prelu))
	}
	panic("nfblock: unknown activation " + m.act) // validated before construction
}

// Dropout is torch.nn.Dropout in training mode on any tape: each element
// of x is zeroed with probability p or scaled by 1/(1−p), the mask drawn
// from rng (one 32-bit uniform per element) and applied with tensor.Mul,
// so the op works on no-grad tapes too (finite-difference checks replay
// it with a reseeded rng).
func Dropout(tp *tensor.Tape, x *tensor.Tensor, p float32, rng *rand.Rand) *tensor.Tensor {
	mask := tp.Result(x.Shape)
	thr := uint32(float64(p) * (1 << 32)) // drop when u < thr
	scale := 1 / (1 - p)
	d := mask.Data
	for i := 0; i < len(d); i += 2 {
		u := rng.Uint64()
		if uint32(u) >= thr {
			d[i] = scale
		}
		if i+1 < len(d) && uint32(u>>32) >= thr {
			d[i+1] = scale
		}
	}
	return tensor.Mul(tp, x, mask)
}

// Reverse returns the indices n−1, …, 0: IndexSelect with them is
// torch.flip along an axis of size n.
func Reverse(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = n - 1 - i
	}
	return idx
}
