// Package loss implements NeuralForecast's training losses as fused
// differentiable operations on a tensor.Tape: point losses (MAE, MSE, RMSE,
// MAPE, SMAPE, Huber), quantile losses (QuantileLoss, MQLoss) and distribution losses
// (Normal and StudentT negative log-likelihood) with exact predictive means,
// quantiles and seeded samples.
//
// Layout: y holds N target values (any shape, e.g. batch × horizon); the
// prediction yhat holds N·Outputs() values with the output channel
// innermost (batch × horizon × Outputs()); mask, when non-nil, holds N
// weights (NeuralForecast's available/outsample mask, 1 = use the point,
// 0 = ignore it). Every loss returns a one-element tensor and propagates
// gradients into yhat only: y and mask are constants.
//
// Reductions follow NeuralForecast exactly: point and quantile losses are
// the weighted mean Σ wᵢ·lᵢ / Σ wᵢ (0 when Σ w = 0); distribution losses
// divide by max(Σ w, 1). Points with zero weight are skipped, so missing
// (NaN) targets under a zero mask do not poison the loss.
package loss

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/streamcast/streamcast/engine/tensor"
)

// Loss is a training objective on a tape.
type Loss interface {
	// Name identifies the loss, e.g. "MAE" or "MQLoss".
	Name() string
	// Outputs is the number of model output channels per target value
	// (NeuralForecast's outputsize_multiplier).
	Outputs() int
	// Forward returns the scalar loss of prediction yhat against y under mask (may be nil).
	Forward(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor
}

// checkShapes panics (programmer error) unless yhat holds k values per
// target and mask (if any) one per target. It returns N and the mask data.
func checkShapes(name string, k int, yhat, y, mask *tensor.Tensor) (int, []float32) {
	n := len(y.Data)
	if len(yhat.Data) != n*k {
		panic(fmt.Sprintf("loss: %s: prediction %v has %d values, want %d targets × %d outputs (targets %v)",
			name, append([]int(nil), yhat.Shape...), len(yhat.Data), n, k, append([]int(nil), y.Shape...)))
	}
	if mask == nil {
		return n, nil
	}
	if len(mask.Data) != n {
		panic(fmt.Sprintf("loss: %s: mask %v for targets %v", name, append([]int(nil), mask.Shape...), append([]int(nil), y.Shape...)))
	}
	return n, mask.Data
}

// LevelQuantiles converts prediction-interval levels (in percent, 0 < l <
// 100) to quantiles the way NeuralForecast's level_to_outputs does: the
// median first, then the bounds 0.5 ± l/200 of every level in increasing
// order, with output names "-median", "-lo-<l>", "-hi-<l>". Level [80, 90]
// gives quantiles [0.5, 0.05, 0.1, 0.9, 0.95] and names [-median, -lo-90,
// -lo-80, -hi-80, -hi-90].
func LevelQuantiles(levels []float64) ([]float64, []string, error) {
	type qn struct {
		q    float64
		name string
	}
	var qs []qn
	for _, l := range levels {
		if !(l > 0 && l < 100) {
			return nil, nil, fmt.Errorf("loss: level %g must lie in (0, 100)", l)
		}
		s := strconv.FormatFloat(l, 'f', -1, 64)
		qs = append(qs, qn{(50 - l/2) / 100, "-lo-" + s}, qn{(50 + l/2) / 100, "-hi-" + s})
	}
	sort.SliceStable(qs, func(i, j int) bool { return qs[i].q < qs[j].q })
	q := []float64{0.5}
	names := []string{"-median"}
	for _, x := range qs {
		q = append(q, x.q)
		names = append(names, x.name)
	}
	return q, names, nil
}

// QuantileNames names quantiles like NeuralForecast's quantiles_to_outputs:
// "-lo-<100−200q>" below the median, "-hi-<100−200(1−q)>" above, "-median" at 0.5.
func QuantileNames(qs []float64) []string {
	names := make([]string, len(qs))
	for i, q := range qs {
		switch {
		case q < 0.5:
			names[i] = "-lo-" + strconv.FormatFloat(round2(100-200*q), 'f', -1, 64)
		case q > 0.5:
			names[i] = "-hi-" + strconv.FormatFloat(round2(100-200*(1-q)), 'f', -1, 64)
		default:
			names[i] = "-median"
		}
	}
	return names
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func checkQuantiles(qs []float64) error {
	if len(qs) == 0 {
		return fmt.Errorf("loss: no quantiles")
	}
	for _, q := range qs {
		if !(q > 0 && q < 1) {
			return fmt.Errorf("loss: quantile %g must lie in (0, 1)", q)
		}
	}
	return nil
}
