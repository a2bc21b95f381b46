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
	kindMAPE
	kindSMAPE
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

// MAPE is NeuralForecast's mean absolute percentage error
// Σ wᵢ·|yᵢ − ŷᵢ|/|yᵢ| / Σ wᵢ, where points with yᵢ = 0 contribute 0
// (_divide_no_nan) but still count in Σ wᵢ.
type MAPE struct{}

// Name returns "MAPE".
func (MAPE) Name() string { return "MAPE" }

// Outputs returns 1.
func (MAPE) Outputs() int { return 1 }

// Forward returns the weighted MAPE. Backward: ∂/∂ŷᵢ = wᵢ·sign(ŷᵢ − yᵢ)/(|yᵢ|·Σw).
func (MAPE) Forward(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor {
	return pointLoss(tp, "MAPE", kindMAPE, 0, yhat, y, mask)
}

// SMAPE is NeuralForecast's symmetric MAPE
// 2·Σ wᵢ·|yᵢ − ŷᵢ|/(|yᵢ| + |ŷᵢ|) / Σ wᵢ (0/0 terms contribute 0), in [0, 2].
type SMAPE struct{}

// Name returns "SMAPE".
func (SMAPE) Name() string { return "SMAPE" }

// Outputs returns 1.
func (SMAPE) Outputs() int { return 1 }

// Forward returns the weighted SMAPE. Backward, with a = |y|+|ŷ| and
// d = ŷ − y: ∂/∂ŷ = 2w·(sign(d)·a − |d|·sign(ŷ))/(a²·Σw), 0 where a = 0.
func (SMAPE) Forward(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor {
	return pointLoss(tp, "SMAPE", kindSMAPE, 0, yhat, y, mask)
}

// pointLoss is the fused weighted-mean point loss shared by MAE, MSE, RMSE,
// Huber and Quantile; p is δ (Huber) or q (Quantile). The forward pass
// also stores each point's weighted derivative wᵢ·∂lᵢ/∂ŷᵢ in tape scratch,
// so Backward is a single scaled add.
func pointLoss(tp *tensor.Tape, name string, kind pointKind, p float32, yhat, y, mask *tensor.Tensor) *tensor.Tensor {
	n, w := checkShapes(name, 1, yhat, y, mask)
	out := tp.Result([]int{1}, yhat)
	var dr []float32
	if out.RequiresGrad() {
		dr = tp.Scratch(n)
	}
	sum, sumW := pointSums(kind, p, y.Data[:n], yhat.Data[:n], w, dr)
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
			c := float32(scale)
			g := yhat.Grad[:n]
			for i, d := range dr {
				g[i] += c * d
			}
		})
	}
	return out
}

// pointSums returns Σ wᵢ·lᵢ and Σ wᵢ over the points with non-zero weight
// (w nil: all weights 1) and, when dr is non-nil, writes wᵢ·∂lᵢ/∂ŷᵢ into
// it (0 for skipped points). One loop per kind keeps dispatch out of the
// element loops.
func pointSums(kind pointKind, p float32, y, h, w, dr []float32) (sum, sumW float64) {
	h = h[:len(y)]
	if w != nil {
		w = w[:len(y)]
	}
	if dr != nil {
		dr = dr[:len(y)]
	}
	switch kind {
	case kindMAE:
		for i, yi := range y {
			wi := float32(1)
			if w != nil {
				if wi = w[i]; wi == 0 {
					continue
				}
			}
			d := h[i] - yi
			sumW += float64(wi)
			sum += float64(wi * abs32(d))
			if dr != nil {
				switch {
				case d > 0:
					dr[i] = wi
				case d < 0:
					dr[i] = -wi
				}
			}
		}
	case kindMSE, kindRMSE:
		for i, yi := range y {
			wi := float32(1)
			if w != nil {
				if wi = w[i]; wi == 0 {
					continue
				}
			}
			d := h[i] - yi
			sumW += float64(wi)
			sum += float64(wi * d * d)
			if dr != nil {
				dr[i] = 2 * wi * d
			}
		}
	case kindHuber:
		for i, yi := range y {
			wi := float32(1)
			if w != nil {
				if wi = w[i]; wi == 0 {
					continue
				}
			}
			d := h[i] - yi
			a := abs32(d)
			l := 0.5 * d * d
			if a >= p {
				l = p * (a - 0.5*p)
			}
			sumW += float64(wi)
			sum += float64(wi * l)
			if dr != nil {
				dr[i] = wi * min(max(d, -p), p)
			}
		}
	case kindMAPE:
		for i, yi := range y {
			wi := float32(1)
			if w != nil {
				if wi = w[i]; wi == 0 {
					continue
				}
			}
			sumW += float64(wi)
			ay := abs32(yi)
			if ay == 0 {
				continue
			}
			d := h[i] - yi
			sum += float64(wi * (abs32(d) / ay))
			if dr != nil {
				switch {
				case d > 0:
					dr[i] = wi / ay
				case d < 0:
					dr[i] = -wi / ay
				}
			}
		}
	case kindSMAPE:
		for i, yi := range y {
			wi := float32(1)
			if w != nil {
				if wi = w[i]; wi == 0 {
					continue
				}
			}
			sumW += float64(wi)
			hi := h[i]
			a := abs32(yi) + abs32(hi)
			if a == 0 {
				continue
			}
			d := hi - yi
			ad := abs32(d)
			sum += float64(2 * wi * (ad / a))
			if dr != nil {
				var sd, sh float32
				if d > 0 {
					sd = 1
				} else if d < 0 {
					sd = -1
				}
				if hi > 0 {
					sh = 1
				} else if hi < 0 {
					sh = -1
				}
				dr[i] = 2 * wi * (sd*a - ad*sh) / (a * a)
			}
		}
	default: // quantile
		for i, yi := range y {
			wi := float32(1)
			if w != nil {
				if wi = w[i]; wi == 0 {
					continue
				}
			}
			d := yi - h[i]
			sumW += float64(wi)
			sum += float64(wi * max(p*d, (p-1)*d))
			if dr != nil {
				dr[i] = wi * quantileSlope(p, d)
			}
		}
	}
	return sum, sumW
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

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
