package loss

import (
	"fmt"
	"math"

	"github.com/streamcast/streamcast/engine/tensor"
)

type pointKind uint8

const (
	kindMAE pointKind = iota
	kindMSE
	kindRMSE
	kindHuber
	kindQuantile
)

// MAE is the mean absolute error Σ wᵢ·|yᵢ − ŷᵢ| / Σ wᵢ.
type MAE struct{}

// Name returns "MAE".
func (MAE) Name() string { return "MAE" }

// Outputs returns 1.
func (MAE) Outputs() int { return 1 }

// Forward returns the weighted MAE. Backward: ∂/∂ŷᵢ = wᵢ·sign(ŷᵢ − yᵢ)/Σw.
func (MAE) Forward(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor {
	return pointLoss(tp, "MAE", kindMAE, 0, yhat, y, mask)
}

// MSE is the mean squared error Σ wᵢ·(yᵢ − ŷᵢ)² / Σ wᵢ.
type MSE struct{}

// Name returns "MSE".
func (MSE) Name() string { return "MSE" }

// Outputs returns 1.
func (MSE) Outputs() int { return 1 }

// Forward returns the weighted MSE. Backward: ∂/∂ŷᵢ = 2wᵢ(ŷᵢ − yᵢ)/Σw.
func (MSE) Forward(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor {
	return pointLoss(tp, "MSE", kindMSE, 0, yhat, y, mask)
}

// RMSE is √MSE (one square root of the whole weighted mean, as NeuralForecast).
type RMSE struct{}

// Name returns "RMSE".
func (RMSE) Name() string { return "RMSE" }

// Outputs returns 1.
func (RMSE) Outputs() int { return 1 }

// Forward returns the weighted RMSE. Backward: ∂/∂ŷᵢ = wᵢ(ŷᵢ − yᵢ)/(Σw·RMSE),
// taken as 0 when RMSE = 0.
func (RMSE) Forward(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor {
	return pointLoss(tp, "RMSE", kindRMSE, 0, yhat, y, mask)
}

// Huber is NeuralForecast's HuberLoss (torch's huber_loss): with d = y − ŷ,
// l = d²/2 for |d| < δ, else δ·(|d| − δ/2); weighted mean over the mask.
type Huber struct{ delta float32 }

// NewHuber returns the Huber loss with threshold delta > 0 (NeuralForecast default 1).
func NewHuber(delta float64) (*Huber, error) {
	if !(delta > 0) || math.IsInf(delta, 0) {
		return nil, fmt.Errorf("loss: Huber delta %g must be finite and > 0", delta)
	}
	return &Huber{delta: float32(delta)}, nil
}

// Name returns "HuberLoss".
func (*Huber) Name() string { return "HuberLoss" }

// Outputs returns 1.
func (*Huber) Outputs() int { return 1 }

// Forward returns the weighted Huber loss. Backward: ∂/∂ŷᵢ = wᵢ·clamp(ŷᵢ − yᵢ, −δ, δ)/Σw.
func (h *Huber) Forward(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor {
	return pointLoss(tp, "HuberLoss", kindHuber, h.delta, yhat, y, mask)
}

// Quantile is NeuralForecast's QuantileLoss (pinball loss) at level q:
// with d = y − ŷ, l = max(q·d, (q − 1)·d); weighted mean over the mask.
type Quantile struct{ q float32 }

// NewQuantile returns the pinball loss at quantile q ∈ (0, 1).
func NewQuantile(q float64) (*Quantile, error) {
	if err := checkQuantiles([]float64{q}); err != nil {
		return nil, err
	}
	return &Quantile{q: float32(q)}, nil
}

// Name returns "QuantileLoss".
func (*Quantile) Name() string { return "QuantileLoss" }

// Outputs returns 1.
func (*Quantile) Outputs() int { return 1 }

// Forward returns the weighted pinball loss. Backward: ∂/∂ŷᵢ = wᵢ·g/Σw with
// g = −q for y > ŷ, 1 − q for y < ŷ and ½ − q at y = ŷ (torch.max's tie rule).
func (l *Quantile) Forward(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor {
	return pointLoss(tp, "QuantileLoss", kindQuantile, l.q, yhat, y, mask)
}

// pointLoss is the fused weighted-mean point loss shared by MAE, MSE, RMSE,
// Huber and Quantile; p is δ (Huber) or q (Quantile).
func pointLoss(tp *tensor.Tape, name string, kind pointKind, p float32, yhat, y, mask *tensor.Tensor) *tensor.Tensor {
	n, w := checkShapes(name, 1, yhat, y, mask)
	out := tp.Result([]int{1}, yhat)
	yd, hd := y.Data[:n], yhat.Data[:n]
	var sum, sumW float64
	if w == nil {
		sumW = float64(n)
		for i, yi := range yd {
			sum += float64(pointValue(kind, p, yi-hd[i]))
		}
	} else {
		w = w[:n]
		for i, wi := range w {
			if wi == 0 {
				continue
			}
			sumW += float64(wi)
			sum += float64(wi) * float64(pointValue(kind, p, yd[i]-hd[i]))
		}
	}
	var v float64
	if sumW != 0 {
		v = sum / sumW
	}
	if kind == kindRMSE {
		v = math.Sqrt(v)
	}
	out.Data[0] = float32(v)
	if out.RequiresGrad() {
		tp.Record(func() {
			if sumW == 0 || math.IsNaN(sumW) || math.IsInf(sumW, 0) {
				return
			}
			scale := float64(out.Grad[0]) / sumW
			if kind == kindRMSE {
				if v == 0 {
					return
				}
				scale /= 2 * v
			}
			pointBackward(kind, p, float32(scale), yd, hd, w, yhat.Grad[:n])
		})
	}
	return out
}

// pointValue is the per-point loss at residual d = y − ŷ.
func pointValue(kind pointKind, p, d float32) float32 {
	switch kind {
	case kindMAE:
		return abs32(d)
	case kindMSE, kindRMSE:
		return d * d
	case kindHuber:
		a := abs32(d)
		if a < p {
			return 0.5 * d * d
		}
		return p * (a - 0.5*p)
	default: // quantile
		return max(p*d, (p-1)*d)
	}
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// pointBackward adds scale·wᵢ·∂lᵢ/∂ŷᵢ into g, skipping zero weights. One
// loop per kind keeps the hot loops free of per-element dispatch.
func pointBackward(kind pointKind, p, scale float32, y, h, w, g []float32) {
	g = g[:len(y)]
	h = h[:len(y)]
	if w != nil {
		w = w[:len(y)]
	}
	for i, yi := range y {
		s := scale
		if w != nil {
			if w[i] == 0 {
				continue
			}
			s *= w[i]
		}
		switch kind {
		case kindMAE:
			if d := h[i] - yi; d > 0 {
				g[i] += s
			} else if d < 0 {
				g[i] -= s
			}
		case kindMSE, kindRMSE:
			g[i] += 2 * s * (h[i] - yi)
		case kindHuber:
			g[i] += s * min(max(h[i]-yi, -p), p)
		default:
			g[i] += s * quantileSlope(p, yi-h[i])
		}
	}
}

// quantileSlope is ∂/∂ŷ max(q·d, (q−1)·d) at d = y − ŷ.
func quantileSlope(q, d float32) float32 {
	switch {
	case d > 0:
		return -q
	case d < 0:
		return 1 - q
	default:
		return 0.5 - q
	}
}
