package loss

import (
	"github.com/streamcast/streamcast/engine/tensor"
)

// MQLoss is NeuralForecast's multi-quantile loss. For Q quantiles qₖ and
// predictions ŷᵢₖ (channel k innermost):
//
//	MQL = Σᵢ Σₖ wᵢ·(1/Q)·ρ_qₖ(yᵢ − ŷᵢₖ) / (Q·Σᵢ wᵢ),  ρ_q(d) = max(q·d, (q−1)·d)
//
// The extra 1/Q comes from NeuralForecast broadcasting the mask over the
// quantile axis before its weighted mean; it is kept so that loss values
// (and learning dynamics) match NeuralForecast exactly.
type MQLoss struct {
	q     []float32
	qs    []float64
	names []string
}

// NewMQLoss returns the multi-quantile loss for prediction-interval levels
// (percent), with quantiles ordered as LevelQuantiles (median first).
// NeuralForecast's default is levels [80, 90].
func NewMQLoss(levels []float64) (*MQLoss, error) {
	qs, names, err := LevelQuantiles(levels)
	if err != nil {
		return nil, err
	}
	return newMQ(qs, names), nil
}

// NewMQLossQuantiles returns the multi-quantile loss for explicit quantiles
// in (0, 1), kept in the given order (NeuralForecast's quantiles=…).
func NewMQLossQuantiles(qs []float64) (*MQLoss, error) {
	if err := checkQuantiles(qs); err != nil {
		return nil, err
	}
	return newMQ(append([]float64(nil), qs...), QuantileNames(qs)), nil
}

func newMQ(qs []float64, names []string) *MQLoss {
	m := &MQLoss{qs: qs, names: names, q: make([]float32, len(qs))}
	for i, q := range qs {
		m.q[i] = float32(q)
	}
	return m
}

// Name returns "MQLoss".
func (*MQLoss) Name() string { return "MQLoss" }

// Outputs returns the number of quantiles.
func (m *MQLoss) Outputs() int { return len(m.q) }

// Quantiles returns the quantile of every output channel.
func (m *MQLoss) Quantiles() []float64 { return append([]float64(nil), m.qs...) }

// OutputNames returns NeuralForecast's column suffix of every output channel.
func (m *MQLoss) OutputNames() []string { return append([]string(nil), m.names...) }

// Forward returns the multi-quantile loss of yhat (N×Q) against y (N).
// Backward: ∂/∂ŷᵢₖ = wᵢ·s(qₖ, yᵢ − ŷᵢₖ)/(Q²·Σw) with the pinball slope s
// of Quantile.Forward.
func (m *MQLoss) Forward(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor {
	nq := len(m.q)
	n, w := checkShapes("MQLoss", nq, yhat, y, mask)
	out := tp.Result([]int{1}, yhat)
	yd, hd := y.Data[:n], yhat.Data[:n*nq]
	qs := m.q
	var sum, sumW float64
	for i, yi := range yd {
		wi := float32(1)
		if w != nil {
			if wi = w[i]; wi == 0 {
				continue
			}
		}
		sumW += float64(wi)
		var s float32
		row := hd[i*nq : i*nq+nq]
		for k, q := range qs {
			d := yi - row[k]
			s += max(q*d, (q-1)*d)
		}
		sum += float64(wi) * float64(s)
	}
	var v float64
	if sumW != 0 {
		v = sum / (float64(nq) * float64(nq) * sumW)
	}
	out.Data[0] = float32(v)
	if out.RequiresGrad() {
		tp.Record(func() {
			if sumW == 0 {
				return
			}
			scale := float32(float64(out.Grad[0]) / (float64(nq) * float64(nq) * sumW))
			g := yhat.Grad[:n*nq]
			for i, yi := range yd {
				s := scale
				if w != nil {
					if w[i] == 0 {
						continue
					}
					s *= w[i]
				}
				grow := g[i*nq : i*nq+nq]
				row := hd[i*nq : i*nq+nq]
				for k, q := range qs {
					grow[k] += s * quantileSlope(q, yi-row[k])
				}
			}
		})
	}
	return out
}
