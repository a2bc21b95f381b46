// Package nbeatsnet is the network shared by NeuralForecast's NBEATS and
// NBEATSx (engine/models/nbeats, engine/models/nbeatsx).
//
// The input window y ∈ ℝᴸ (scaled) is reversed in time to give the first
// residual r₁ = flip(y); the forecast starts at the last observed value,
// ŷ⁽⁰⁾ = y_L on every step and channel. Block b computes
//
//	θ_b = MLP_b([r_b, X_hist, X_futr, x_stat])
//
// (the exogenous part only in NBEATSx, flattened time-major) and splits θ_b
// into backcast and forecast coefficients of its stack's basis:
//
//	identity:    backcast θ[:L], forecast θ[L:] as [h, K];
//	trend:       backcast θ[:P]·T_L, forecast (θ[P:] as [P, K])ᵀ·T_h with
//	             P = n+1 trend functions T (polynomial (t/len)^i, legendre, …);
//	seasonality: the same with the Fourier templates [cos; sin](±2π·t/h·φ);
//	exogenous:   with C = F+S columns Z = [X_futr, x_stat broadcast over
//	             time] ∈ ℝ^{(L+h)×C}: backcast Z[:L]·θ[C:], forecast
//	             Z[L:]·θ[:C] (one channel, added to all K).
//
// and stacking is doubly residual, r_{b+1} = r_b − backcast_b,
// ŷ⁽ᵇ⁾ = ŷ⁽ᵇ⁻¹⁾ + forecast_b. As in NeuralForecast, the exogenous backcast is
// in calendar order while the residual it is subtracted from is reversed.
// The output is [B, h·K], K output channels innermost.
package nbeatsnet

import (
	"fmt"
	"math/rand/v2"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/internal/nfblock"
	"github.com/streamcast/streamcast/engine/nn"
	"github.com/streamcast/streamcast/engine/tensor"
)

// Config is the architecture.
type Config struct {
	Kind             string // for error messages
	L, H, K          int    // input size, horizon, output channels
	Hist, Futr, Stat int    // exogenous variable counts
	StackTypes       []string
	NBlocks          []int
	MLPUnits         [][]int
	NHarmonics       int
	TrendBasis       string // a TrendBases entry
	TrendDegree      int    // n: n+1 trend functions
	Dropout          float64
	Activation       string
	SharedWeights    bool
	Seed             uint64
}

// MaxStacks bounds len(StackTypes).
const MaxStacks = 64

// Check validates the stack-related settings (the caller validates Common).
func (c Config) Check(allowed []string) error {
	n := len(c.StackTypes)
	if n == 0 || n > MaxStacks {
		return fmt.Errorf("%s: stack_types needs 1 to %d stacks, got %d", c.Kind, MaxStacks, n)
	}
	if len(c.NBlocks) != n {
		return fmt.Errorf("%s: n_blocks has %d entries for %d stacks", c.Kind, len(c.NBlocks), n)
	}
	for i, s := range c.StackTypes {
		ok := false
		for _, a := range allowed {
			ok = ok || s == a
		}
		if !ok {
			return fmt.Errorf("%s: stack_types[%d] = %q is not one of %v", c.Kind, i, s, allowed)
		}
		if (s == "trend" || s == "seasonality") && c.H == 1 {
			return fmt.Errorf("%s: horizon h=1 is incompatible with %s stacks", c.Kind, s)
		}
		if s == "exogenous" && c.Futr+c.Stat == 0 {
			return fmt.Errorf("%s: an exogenous stack needs future or static exogenous variables", c.Kind)
		}
		if c.NBlocks[i] < 1 || c.NBlocks[i] > 64 {
			return fmt.Errorf("%s: n_blocks[%d] = %d must be in [1, 64]", c.Kind, i, c.NBlocks[i])
		}
	}
	if c.NHarmonics < 1 || c.NHarmonics > 1024 {
		return fmt.Errorf("%s: n_harmonics %d must be in [1, 1024]", c.Kind, c.NHarmonics)
	}
	if err := CheckTrend(c.Kind, c.TrendBasis, c.TrendDegree); err != nil {
		return err
	}
	if err := nfblock.CheckMLPUnits(c.Kind, c.MLPUnits); err != nil {
		return err
	}
	if err := nfblock.CheckDropout(c.Kind, c.Dropout); err != nil {
		return err
	}
	if err := nfblock.CheckActivation(c.Kind, c.Activation); err != nil {
		return err
	}
	if p := c.NumParams(); p > model.MaxParams {
		return fmt.Errorf("%s: %d parameters exceed the limit of %d", c.Kind, p, model.MaxParams)
	}
	return nil
}

// mlpIn is every block's MLP input width: L + X·L + F·(L+h) + S.
func (c Config) mlpIn() int { return c.L + c.Hist*c.L + c.Futr*(c.L+c.H) + c.Stat }

// nTheta is NeuralForecast's theta size of a block of stack type s.
func (c Config) nTheta(s string) int {
	switch s {
	case "seasonality":
		return (c.K + 1) * seasonalityRows(c.NHarmonics, c.H)
	case "trend":
		return (c.K + 1) * (c.TrendDegree + 1)
	case "exogenous":
		return 2 * (c.Futr + c.Stat)
	}
	return c.L + c.K*c.H // identity
}

// NumParams counts the trainable values (shared blocks once).
func (c Config) NumParams() int {
	n := 0
	for i, s := range c.StackTypes {
		blocks := c.NBlocks[i]
		if c.SharedWeights {
			blocks = 1
		}
		n += blocks * nfblock.NumParams(c.mlpIn(), c.MLPUnits, c.nTheta(s), c.Activation)
	}
	return n
}

// Net is the network.
type Net struct {
	cfg    Config
	blocks []block
	rev    []int
	params []model.Param
	drop   *rand.Rand
	train  bool
}

type block struct {
	typ        string
	mlp        *nfblock.MLP
	p          int            // basis rows (trend/seasonality)
	back, fore *tensor.Tensor // [P, L] and [P·K, h·K] bases (trend/seasonality)
}

const dropStream = 0x6e6265617473_64

// New builds the network; with init the weights take PyTorch's default
// initialisation from a stream seeded by cfg.Seed.
func New(cfg Config, init bool) *Net {
	n := &Net{cfg: cfg, rev: nfblock.Reverse(cfg.L), drop: rand.New(rand.NewPCG(cfg.Seed, dropStream))}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6e6265617473))
	var mods []nn.Module
	for i, s := range cfg.StackTypes {
		var proto block
		for j := range cfg.NBlocks[i] {
			if cfg.SharedWeights && j > 0 {
				n.blocks = append(n.blocks, proto)
				mods = append(mods, nil) // same module: named once
				continue
			}
			proto = block{typ: s, mlp: nfblock.NewMLP(cfg.mlpIn(), cfg.MLPUnits, cfg.nTheta(s), cfg.Activation, cfg.Dropout, init, rng)}
			switch s {
			case "trend":
				proto.p = cfg.TrendDegree + 1
				proto.back = constant(trendBasis(cfg.L, cfg.TrendDegree, cfg.TrendBasis), proto.p, cfg.L)
				proto.fore = kron(trendBasis(cfg.H, cfg.TrendDegree, cfg.TrendBasis), proto.p, cfg.H, cfg.K)
			case "seasonality":
				p, back, fore := seasonalityBasis(cfg.NHarmonics, cfg.L, cfg.H)
				proto.p = p
				proto.back = constant(back, p, cfg.L)
				proto.fore = kron(fore, p, cfg.H, cfg.K)
			}
			n.blocks = append(n.blocks, proto)
			mods = append(mods, proto.mlp)
		}
	}
	n.params = nn.Collect("blocks", mods...)
	return n
}

func constant(v []float64, rows, cols int) *tensor.Tensor {
	t := tensor.New(rows, cols)
	for i, x := range v {
		t.Data[i] = float32(x)
	}
	return t
}

// kron returns the forecast basis for K channels, E[p·K+q, t·K+q] = T[p, t],
// so that θ_f [B, P·K] · E = einsum("bpq,pt->btq") flattened [B, h·K].
func kron(v []float64, rows, cols, k int) *tensor.Tensor {
	t := tensor.New(rows*k, cols*k)
	for p := range rows {
		for c := range cols {
			for q := range k {
				t.Data[(p*k+q)*cols*k+c*k+q] = float32(v[p*cols+c])
			}
		}
	}
	return t
}

// Config returns the architecture.
func (n *Net) Config() Config { return n.cfg }

// Params lists the trainable tensors with state_dict names
// (blocks.<j>.layers.<i>.…). The trend and seasonality templates, which
// NeuralForecast keeps as frozen parameters, are rebuilt from the
// hyper-parameters and not listed.
func (n *Net) Params() []model.Param { return n.params }

// SetTrainMode forces training-mode dropout on every tape (see nhits).
func (n *Net) SetTrainMode(on bool) { n.train = on }

// SeedDropout restarts the dropout mask stream.
func (n *Net) SeedDropout(seed uint64) { n.drop = rand.New(rand.NewPCG(seed, dropStream)) }

// Forward runs the network on in (shapes checked by the caller) and returns
// [B, h·K].
func (n *Net) Forward(tp *tensor.Tape, in model.Inputs) *tensor.Tensor {
	c := n.cfg
	L, H, K := c.L, c.H, c.K
	B := in.Y.Shape[0]
	train := n.train || !tp.NoGrad()
	res := tensor.IndexSelect(tp, in.Y, 1, n.rev)
	fc := tensor.Reshape(tp, tensor.Slice(tp, in.Y, 1, L-1, L, 1), B, 1, 1)

	var exog *tensor.Tensor // [X_hist, X_futr, x_stat] flattened, shared by every block
	{
		var parts [3]*tensor.Tensor
		k := 0
		if in.Hist != nil {
			parts[k] = tensor.Reshape(tp, in.Hist, B, L*c.Hist)
			k++
		}
		if in.Futr != nil {
			parts[k] = tensor.Reshape(tp, in.Futr, B, (L+H)*c.Futr)
			k++
		}
		if in.Stat != nil {
			parts[k] = in.Stat
			k++
		}
		switch k {
		case 0:
		case 1:
			exog = parts[0]
		default:
			exog = tensor.Concat(tp, 1, parts[:k]...)
		}
	}
	var zb, zf *tensor.Tensor // exogenous basis, [B, L, C] and [B, h, C]

	for _, b := range n.blocks {
		x := res
		if exog != nil {
			x = tensor.Concat(tp, 1, res, exog)
		}
		theta := b.mlp.Forward(tp, x, train, n.drop)
		var back, f *tensor.Tensor
		switch b.typ {
		case "identity":
			back = tensor.Slice(tp, theta, 1, 0, L, 1)
			f = tensor.Reshape(tp, tensor.Slice(tp, theta, 1, L, L+H*K, 1), B, H, K)
		case "trend", "seasonality":
			back = tensor.MatMul(tp, tensor.Slice(tp, theta, 1, 0, b.p, 1), b.back)
			f = tensor.Reshape(tp, tensor.MatMul(tp, tensor.Slice(tp, theta, 1, b.p, b.p*(K+1), 1), b.fore), B, H, K)
		case "exogenous":
			if zb == nil {
				zb, zf = n.exogBasis(tp, in, B)
			}
			C := c.Futr + c.Stat
			tf := tensor.Reshape(tp, tensor.Slice(tp, theta, 1, 0, C, 1), B, C, 1)
			tb := tensor.Reshape(tp, tensor.Slice(tp, theta, 1, C, 2*C, 1), B, C, 1)
			back = tensor.Reshape(tp, tensor.BMM(tp, zb, tb, false, false), B, L)
			f = tensor.BMM(tp, zf, tf, false, false) // [B, h, 1]
		}
		res = tensor.Sub(tp, res, back)
		fc = tensor.Add(tp, fc, f)
	}
	if fc.Shape[2] != K { // only exogenous blocks: [B, h, 1] broadcast to the channels
		fc = tensor.BroadcastTo(tp, fc, B, H, K)
	}
	return tensor.Reshape(tp, fc, B, H*K)
}

// exogBasis returns Z = [X_futr, x_stat broadcast over the L+h steps] split
// into its input part [B, L, C] and horizon part [B, h, C].
func (n *Net) exogBasis(tp *tensor.Tape, in model.Inputs, B int) (zb, zf *tensor.Tensor) {
	c := n.cfg
	T := c.L + c.H
	var z *tensor.Tensor
	var st *tensor.Tensor
	if in.Stat != nil {
		st = tensor.BroadcastTo(tp, tensor.Reshape(tp, in.Stat, B, 1, c.Stat), B, T, c.Stat)
	}
	switch {
	case in.Futr != nil && st != nil:
		z = tensor.Concat(tp, 2, in.Futr, st)
	case in.Futr != nil:
		z = in.Futr
	default:
		z = st
	}
	return tensor.Slice(tp, z, 1, 0, c.L, 1), tensor.Slice(tp, z, 1, c.L, T, 1)
}

// CheckInputs panics with a clear message when in does not match cfg.
func (c Config) CheckInputs(in model.Inputs) {
	if in.Y == nil || len(in.Y.Shape) != 2 || in.Y.Shape[1] != c.L {
		panic(fmt.Sprintf("%s: input window must be [B, %d]", c.Kind, c.L))
	}
	b := in.Y.Shape[0]
	check := func(role string, x *tensor.Tensor, n int, d0, d1, d2 int) {
		if n == 0 {
			if x != nil {
				panic(fmt.Sprintf("%s: %s_exog given but %s_exog_list is empty", c.Kind, role, role))
			}
			return
		}
		rank := 3
		if d2 < 0 {
			rank = 2
		}
		ok := x != nil && len(x.Shape) == rank && x.Shape[0] == d0 && x.Shape[1] == d1 && (rank == 2 || x.Shape[2] == d2)
		if !ok {
			want := fmt.Sprint([]int{d0, d1, d2})
			if rank == 2 {
				want = fmt.Sprint([]int{d0, d1})
			}
			panic(fmt.Sprintf("%s: %s_exog must be %s", c.Kind, role, want))
		}
	}
	check("hist", in.Hist, c.Hist, b, c.L, c.Hist)
	check("futr", in.Futr, c.Futr, b, c.L+c.H, c.Futr)
	check("stat", in.Stat, c.Stat, b, c.Stat, -1)
}
