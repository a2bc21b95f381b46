package loss

import (
	"fmt"
	"math"

	"github.com/streamcast/streamcast/engine/tensor"
)

// HorizonWeighted is NeuralForecast's horizon_weight option of the point
// and quantile losses: target i, whose horizon step is i mod h (targets laid
// out batch × h), gets weight W[i mod h]·maskᵢ in the weighted mean.
type HorizonWeighted struct {
	Inner Loss
	W     []float32
}

// NewHorizonWeighted wraps a point or multi-quantile loss with per-step
// weights (length h, each finite and >= 0). Distribution losses are
// rejected, as in NeuralForecast.
func NewHorizonWeighted(inner Loss, w []float64) (*HorizonWeighted, error) {
	if inner == nil {
		return nil, fmt.Errorf("loss: horizon weights need a loss")
	}
	if _, ok := inner.(*Distribution); ok {
		return nil, fmt.Errorf("loss: DistributionLoss takes no horizon weights")
	}
	if len(w) == 0 {
		return nil, fmt.Errorf("loss: empty horizon weights")
	}
	hw := &HorizonWeighted{Inner: inner, W: make([]float32, len(w))}
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("loss: horizon weight %d is %g, want finite and >= 0", i, v)
		}
		hw.W[i] = float32(v)
	}
	return hw, nil
}

// Name returns the inner loss's name.
func (h *HorizonWeighted) Name() string { return h.Inner.Name() }

// Outputs returns the inner loss's outputs.
func (h *HorizonWeighted) Outputs() int { return h.Inner.Outputs() }

// Forward multiplies the mask (ones when nil) by the horizon weights into a
// tape buffer and evaluates the inner loss with it.
func (h *HorizonWeighted) Forward(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor {
	n, hz := len(y.Data), len(h.W)
	if n%hz != 0 {
		panic(fmt.Sprintf("loss: %d targets are not batches of horizon %d", n, hz))
	}
	if mask != nil && len(mask.Data) != n {
		panic(fmt.Sprintf("loss: mask %v for targets %v", append([]int(nil), mask.Shape...), append([]int(nil), y.Shape...)))
	}
	wm := tp.Result(y.Shape)
	for i := range wm.Data {
		w := h.W[i%hz]
		if mask != nil {
			w *= mask.Data[i]
		}
		wm.Data[i] = w
	}
	return h.Inner.Forward(tp, yhat, y, wm)
}
