// Package nhits implements NeuralForecast's NHITS (Challu et al., "N-HiTS:
// Neural Hierarchical Interpolation for Time Series Forecasting", AAAI
// 2023), kind "nhits".
//
// The input window y ∈ ℝᴸ (already scaled) is reversed in time to give the
// first residual r₁ = flip(y), and the forecast starts at the last observed
// value ŷ⁽⁰⁾ = y_L (NeuralForecast's "level with Naive1"). Block b of stack
// s pools its residual with kernel and stride k_s (MaxPool1d or AvgPool1d,
// ceil mode), concatenates the pooled exogenous inputs, and maps them
// through its MLP to
//
//	θ_b = MLP_b([pool(r_b), pool(X_hist), pool(X_futr), x_stat]) ∈ ℝ^{L + K·n_s},
//	n_s = max(⌊h / r_s⌋, 1) knots per output channel,
//
// whose first L entries are the backcast and the rest K rows of n_s knots,
// each interpolated to the h horizon steps (linear, align_corners=False, or
// nearest). The stacking is doubly residual:
//
//	r_{b+1} = r_b − θ_b[:L],  ŷ⁽ᵇ⁾ = ŷ⁽ᵇ⁻¹⁾ + interp(θ_b[L:]).
//
// The output is [B, h·K] with the K = Common.Outputs() channels innermost
// (NeuralForecast's loss.outputsize_multiplier). Historical exogenous
// variables cover the L inputs and future ones the L+h steps; both are
// pooled like the residual, time-major with the variable innermost, as
// NeuralForecast does. Weights start from PyTorch's default nn.Linear
// initialisation, drawn from a PCG stream seeded by random_seed.
//
// Parameters are named as NeuralForecast's state_dict:
// blocks.<j>.layers.<i>.{weight,bias}, blocks numbered across stacks.
//
// Not carried over: NeuralForecast multiplies every residual by the window's
// availability mask; streamcast's Model interface passes full windows (front
// padding of short histories is zeros that the residual keeps).
package nhits

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/internal/nfblock"
	"github.com/streamcast/streamcast/engine/nn"
	"github.com/streamcast/streamcast/engine/tensor"
	"github.com/streamcast/streamcast/engine/train"
)

// NHITS is the model. Forward is safe for concurrent use by several tapes
// only in no-grad mode (weights are read, never written; dropout is off).
type NHITS struct {
	hyper  Hyper
	blocks []block
	rev    []int // time reversal of the input window
	params []model.Param
	drop   *rand.Rand // dropout masks
	train  bool       // dropout on inference tapes too (SetTrainMode)
	outs   int        // K
	nearH  [][]int    // nearest-interpolation indices per stack (nil: linear)
}

// maxStacks bounds len(stack_types) (Validate).
const maxStacks = 64

type block struct {
	stack int
	kslot int // index of the block's pooling kernel among the distinct ones
	mlp   *nfblock.MLP
	pool  tensor.Pool1dConfig // Kernel 1: no pooling
	knots int
}

var (
	_ model.Model     = (*NHITS)(nil)
	_ model.ExogModel = (*NHITS)(nil)
)

func init() {
	model.RegisterKind(Kind, func() Hyper { return DefaultHyper(0, 0) },
		func(h Hyper, init bool) model.Model { return build(h, init) })
}

// New returns an NHITS with seeded initial weights.
func New(h Hyper) (*NHITS, error) {
	if err := model.CheckHyper(&h); err != nil {
		return nil, err
	}
	return build(h, true), nil
}

func build(h Hyper, init bool) *NHITS {
	m := &NHITS{
		hyper: h,
		rev:   nfblock.Reverse(h.InputSize),
		drop:  rand.New(rand.NewPCG(h.Seed, 0x6e68697473_64)),
		outs:  h.Outputs(),
	}
	rng := rand.New(rand.NewPCG(h.Seed, 0x6e68697473))
	var mods []nn.Module
	var kernels []int
	for s := range h.StackTypes {
		kslot := slices.Index(kernels, h.NPoolKernelSize[s])
		if kslot < 0 {
			kslot = len(kernels)
			kernels = append(kernels, h.NPoolKernelSize[s])
		}
		in, nTheta, knots := h.stackShape(s)
		var near []int
		if h.InterpolationMode == "nearest" && knots != h.H {
			near = nearestIndex(knots, h.H)
		}
		m.nearH = append(m.nearH, near)
		for range h.NBlocks[s] {
			mlp := nfblock.NewMLP(in, h.MLPUnits, nTheta, h.Activation, h.DropoutProbTheta, init, rng)
			m.blocks = append(m.blocks, block{
				stack: s, kslot: kslot, mlp: mlp, knots: knots,
				pool: tensor.Pool1dConfig{Kernel: h.NPoolKernelSize[s], CeilMode: true},
			})
			mods = append(mods, mlp)
		}
	}
	m.params = nn.Collect("blocks", mods...)
	return m
}

// nearestIndex is F.interpolate(mode='nearest') from n to size points:
// source ⌊i·n/size⌋ (PyTorch's scale n/size, computed in float32).
func nearestIndex(n, size int) []int {
	idx := make([]int, size)
	scale := float32(n) / float32(size)
	for i := range idx {
		idx[i] = min(int(float32(i)*scale), n-1)
	}
	return idx
}

// Kind implements model.Model.
func (m *NHITS) Kind() string { return Kind }

// Common implements model.Model.
func (m *NHITS) Common() model.Common { return m.hyper.Common }

// Hyper implements model.Model.
func (m *NHITS) Hyper() any { return m.hyper }

// Params implements model.Model (state_dict names and order).
func (m *NHITS) Params() []model.Param { return m.params }

// SeedDropout restarts the dropout mask stream (tests use it to replay a
// training-mode forward pass exactly).
func (m *NHITS) SeedDropout(seed uint64) { m.drop = rand.New(rand.NewPCG(seed, 0x6e68697473_64)) }

// SetTrainMode(true) applies dropout on every forward pass, like a
// PyTorch module in train mode under torch.no_grad(); by default (false)
// dropout is active exactly on gradient-recording tapes, i.e. in training
// steps and not in prediction or validation.
func (m *NHITS) SetTrainMode(on bool) { m.train = on }

// Forward maps x [B, input_size] to [B, h·K]. A model configured with
// exogenous variables needs ForwardInputs.
func (m *NHITS) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	return m.ForwardInputs(tp, model.Inputs{Y: x})
}

// ForwardInputs implements model.ExogModel: in.Y [B, L], in.Hist [B, L, X],
// in.Futr [B, L+h, F], in.Stat [B, S] (each present exactly when its list is
// configured) to [B, h·K].
func (m *NHITS) ForwardInputs(tp *tensor.Tape, in model.Inputs) *tensor.Tensor {
	h := m.hyper
	L, H, K := h.InputSize, h.H, m.outs
	if in.Y == nil || len(in.Y.Shape) != 2 || in.Y.Shape[1] != L {
		panic(fmt.Sprintf("nhits: input window must be [B, %d]", L))
	}
	B := in.Y.Shape[0]
	checkExog("hist", in.Hist, len(h.HistExog), B, L)
	checkExog("futr", in.Futr, len(h.FutrExog), B, L+H)
	if len(h.StatExog) > 0 {
		if in.Stat == nil || len(in.Stat.Shape) != 2 || in.Stat.Shape[0] != B || in.Stat.Shape[1] != len(h.StatExog) {
			panic(fmt.Sprintf("nhits: stat_exog must be [%d, %d]", B, len(h.StatExog)))
		}
	} else if in.Stat != nil {
		panic("nhits: static variables given but stat_exog_list is empty")
	}

	res := tensor.IndexSelect(tp, in.Y, 1, m.rev)
	fc := tensor.Reshape(tp, tensor.Slice(tp, in.Y, 1, L-1, L, 1), B, 1, 1)
	// Pooled exogenous inputs depend only on the kernel: built once per
	// distinct kernel (at most one per stack).
	var exog [maxStacks]*tensor.Tensor
	for _, b := range m.blocks {
		x := res
		if b.pool.Kernel > 1 {
			x = m.pool(tp, res, b.pool)
		}
		if h.HasExog() {
			if exog[b.kslot] == nil {
				exog[b.kslot] = m.exogInput(tp, in, b.pool, B)
			}
			x = tensor.Concat(tp, 1, x, exog[b.kslot])
		}
		theta := b.mlp.Forward(tp, x, m.train || !tp.NoGrad(), m.drop)
		back := tensor.Slice(tp, theta, 1, 0, L, 1)
		knots := tensor.Reshape(tp, tensor.Slice(tp, theta, 1, L, L+K*b.knots, 1), B, K, b.knots)
		f := knots // [B, K, H] after interpolation
		switch {
		case b.knots == H:
		case m.nearH[b.stack] != nil:
			f = tensor.IndexSelect(tp, knots, 2, m.nearH[b.stack])
		default:
			f = tensor.InterpolateLinear(tp, knots, H)
		}
		if K > 1 {
			f = tensor.Permute(tp, f, 0, 2, 1) // [B, H, K]
		} else {
			f = tensor.Reshape(tp, f, B, H, 1)
		}
		res = tensor.Sub(tp, res, back)
		fc = tensor.Add(tp, fc, f)
	}
	return tensor.Reshape(tp, fc, B, H*K)
}

func (m *NHITS) pool(tp *tensor.Tape, x *tensor.Tensor, cfg tensor.Pool1dConfig) *tensor.Tensor {
	if m.hyper.PoolingMode == "AvgPool1d" {
		return tensor.AvgPool1d(tp, x, cfg)
	}
	return tensor.MaxPool1d(tp, x, cfg)
}

// exogInput flattens [pool(hist), pool(futr), stat] to [B, ·]: each
// temporal tensor [B, T, C] is pooled along time per variable and kept
// time-major, as NeuralForecast's permute-pool-permute-reshape.
func (m *NHITS) exogInput(tp *tensor.Tape, in model.Inputs, cfg tensor.Pool1dConfig, B int) *tensor.Tensor {
	var parts [3]*tensor.Tensor
	n := 0
	for _, x := range [2]*tensor.Tensor{in.Hist, in.Futr} {
		if x == nil {
			continue
		}
		if cfg.Kernel > 1 {
			x = tensor.Permute(tp, m.pool(tp, tensor.Permute(tp, x, 0, 2, 1), cfg), 0, 2, 1)
		}
		parts[n] = tensor.Reshape(tp, x, B, x.Numel()/max(B, 1))
		n++
	}
	if in.Stat != nil {
		parts[n] = in.Stat
		n++
	}
	if n == 1 {
		return parts[0]
	}
	return tensor.Concat(tp, 1, parts[:n]...)
}

func checkExog(role string, x *tensor.Tensor, n, b, t int) {
	if n == 0 {
		if x != nil {
			panic(fmt.Sprintf("nhits: %s_exog given but %s_exog_list is empty", role, role))
		}
		return
	}
	if x == nil || len(x.Shape) != 3 || x.Shape[0] != b || x.Shape[1] != t || x.Shape[2] != n {
		panic(fmt.Sprintf("nhits: %s_exog must be [%d, %d, %d]", role, b, t, n))
	}
}

// TrainDefaults returns DefaultTrainConfig(): NeuralForecast's training
// defaults of the kind (for callers holding only a model.Model).
func (m *NHITS) TrainDefaults() train.Config { return DefaultTrainConfig() }
