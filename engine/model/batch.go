package model

import (
	"fmt"
	"math"
	"sort"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/scaler"
	"github.com/streamcast/streamcast/engine/tensor"
)

// Batch is B raw (unscaled) input windows of a model, float32, row-major
// and owned by the caller. Sizes follow the model's Common: L = InputSize,
// H, F = len(FutrExog), X = len(HistExog), S = len(StatExog).
type Batch struct {
	B int
	// Y holds the target's input windows, B×L, zero-padded at the front
	// when a series is shorter than L.
	Y []float32
	// YMask marks the observed inputs of Y with 1 and the padding with 0,
	// B×L; nil means every input is observed.
	YMask []float32
	// Futr holds the future-known variables over the input window and the
	// horizon, B×(L+H)×F (time major, variable innermost).
	Futr []float32
	// Hist holds the historical variables over the input window, B×L×X.
	Hist []float32
	// Stat holds the static variables, B×S.
	Stat []float32
}

// CheckBatch reports a batch whose sizes do not fit c.
func (c Common) CheckBatch(b *Batch) error {
	L, H := c.InputSize, c.H
	F, X, S := len(c.FutrExog), len(c.HistExog), len(c.StatExog)
	switch {
	case b.B < 0:
		return fmt.Errorf("model: batch of %d windows", b.B)
	case len(b.Y) != b.B*L:
		return fmt.Errorf("model: batch Y has %d values for %d windows of %d", len(b.Y), b.B, L)
	case b.YMask != nil && len(b.YMask) != b.B*L:
		return fmt.Errorf("model: batch YMask has %d values for %d windows of %d", len(b.YMask), b.B, L)
	case len(b.Futr) != b.B*(L+H)*F:
		return fmt.Errorf("model: batch Futr has %d values, want %d windows × %d steps × %d variables", len(b.Futr), b.B, L+H, F)
	case len(b.Hist) != b.B*L*X:
		return fmt.Errorf("model: batch Hist has %d values, want %d windows × %d steps × %d variables", len(b.Hist), b.B, L, X)
	case len(b.Stat) != b.B*S:
		return fmt.Errorf("model: batch Stat has %d values, want %d windows × %d variables", len(b.Stat), b.B, S)
	}
	return nil
}

// ExogScaler scales the temporal exogenous variables of a batch per
// window and variable with the statistics of the variable over the input
// window's observed steps (NeuralForecast's TemporalNorm over every
// temporal channel); static variables are not scaled. RevIN models use
// plain statistics here (the affine parameters belong to the target).
type ExogScaler struct {
	ws         *WindowScaler // nil: identity
	col, cmask []float32
	loc, scale []float32
}

// NewExogScaler returns the exogenous scaler that goes with scalerType.
func NewExogScaler(scalerType string) (*ExogScaler, error) {
	if scalerType == "revin" {
		scalerType = "standard"
	}
	ws, err := NewWindowScaler(scalerType)
	if err != nil {
		return nil, err
	}
	if ws.Identity() {
		return &ExogScaler{}, nil
	}
	return &ExogScaler{ws: ws}, nil
}

// apply writes src (B×T×C) scaled into dst, with statistics from the first
// L steps of every window under ymask (B×L, nil = all observed).
func (e *ExogScaler) apply(dst, src []float32, B, T, C, L int, ymask []float32) {
	if e.ws == nil || C == 0 {
		copy(dst, src)
		return
	}
	n := B * C
	e.col = grow32(e.col, n*L)
	e.loc, e.scale = grow32(e.loc, n), grow32(e.scale, n)
	var m []float32
	if ymask != nil {
		e.cmask = grow32(e.cmask, n*L)
		m = e.cmask
	}
	for b := range B {
		for c := range C {
			r := b*C + c
			for t := range L {
				e.col[r*L+t] = src[(b*T+t)*C+c]
				if m != nil {
					m[r*L+t] = ymask[b*L+t]
				}
			}
		}
	}
	e.ws.s.Fit(e.loc, e.scale, e.col, m, n, L)
	for b := range B {
		for t := range T {
			for c := range C {
				i := (b*T+t)*C + c
				r := b*C + c
				dst[i] = (src[i] - e.loc[r]) / e.scale[r]
			}
		}
	}
}

// ScaleInputs builds the model inputs of b on tp: the target window scaled
// by sc (fitted here on b's observed inputs) and the temporal exogenous
// variables scaled by ex, each window and variable with its own input-window
// statistics. The training loop and the Predictor share it, so a model sees
// the same inputs in both.
func ScaleInputs(tp *tensor.Tape, c Common, sc *WindowScaler, ex *ExogScaler, b *Batch) Inputs {
	L, H := c.InputSize, c.H
	x := tp.Result([]int{b.B, L})
	copy(x.Data, b.Y)
	sc.Fit(x, b.YMask)
	in := Inputs{Y: sc.Transform(tp, x)}
	if F := len(c.FutrExog); F > 0 {
		in.Futr = tp.Result([]int{b.B, L + H, F})
		ex.apply(in.Futr.Data, b.Futr, b.B, L+H, F, L, b.YMask)
	}
	if X := len(c.HistExog); X > 0 {
		in.Hist = tp.Result([]int{b.B, L, X})
		ex.apply(in.Hist.Data, b.Hist, b.B, L, X, L, b.YMask)
	}
	if S := len(c.StatExog); S > 0 {
		in.Stat = tp.Result([]int{b.B, S})
		copy(in.Stat.Data, b.Stat)
	}
	return in
}

// TrainLoss returns the training loss of the raw output yhat of a batch
// the scaler was fitted on: point and quantile losses compare with the
// scaled targets yScaled, as NeuralForecast does; distribution losses
// compare with the raw targets yRaw, the scaler's statistics folded into
// the distribution's location and scale (NeuralForecast's scale_decouple;
// with RevIN its affine parameters receive gradients through them).
func (w *WindowScaler) TrainLoss(tp *tensor.Tape, l loss.Loss, yhat, yRaw, yScaled, mask *tensor.Tensor) *tensor.Tensor {
	d, ok := l.(*loss.Distribution)
	if !ok {
		return l.Forward(tp, yhat, yScaled, mask)
	}
	if w.s == nil {
		return d.ForwardScaled(tp, yhat, yRaw, mask, nil, nil)
	}
	if w.s.Kind() == scaler.RevIN {
		loc, scale := w.s.AnchorTensors(tp, w.loc, w.scale)
		return d.ForwardAnchored(tp, yhat, yRaw, mask, loc, scale)
	}
	return d.ForwardScaled(tp, yhat, yRaw, mask, w.loc, w.scale)
}

func grow32(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// Head turns a model's raw outputs [B, H·Outputs] into forecasts on the
// data scale: a point forecast per step and, for multi-output losses, the
// predictive quantiles.
//
//   - point losses: the output itself (inverse-scaled);
//   - MQLoss: the 0.5 quantile's channel is the point forecast (the
//     channel closest to 0.5 when the median is not among the quantiles),
//     every channel a quantile;
//   - DistributionLoss: the predictive mean, and the exact quantiles of its
//     prediction-interval levels (median included).
type Head struct {
	k      int
	mq     bool
	dist   *loss.Distribution
	qs     []float64 // ascending
	order  []int     // channel of qs[i] (MQLoss)
	median int       // channel of the point forecast (MQLoss)
	tmp    []float32
}

// NewHead returns the output head of c's loss.
func NewHead(c Common) (*Head, error) {
	l, err := c.LossFunc()
	if err != nil {
		return nil, err
	}
	h := &Head{k: l.Outputs()}
	switch l := l.(type) {
	case *loss.MQLoss:
		h.mq = true
		qs := l.Quantiles()
		h.order = make([]int, len(qs))
		for i := range h.order {
			h.order[i] = i
		}
		sort.SliceStable(h.order, func(a, b int) bool { return qs[h.order[a]] < qs[h.order[b]] })
		for _, ch := range h.order {
			h.qs = append(h.qs, qs[ch])
		}
		for ch, q := range qs {
			if math.Abs(q-0.5) < math.Abs(qs[h.median]-0.5) {
				h.median = ch
			}
		}
	case *loss.Distribution:
		h.dist = l
		h.qs = l.Quantiles()
		sort.Float64s(h.qs)
	}
	return h, nil
}

// Outputs is the number of raw output channels per step.
func (h *Head) Outputs() int { return h.k }

// Quantiles lists the quantile levels Decode writes, ascending (nil for
// point losses).
func (h *Head) Quantiles() []float64 { return h.qs }

// decode writes the point forecasts (B×H) into point and, when q is not
// nil, the quantiles (B×H×len(Quantiles())) into q. yhat is the raw output
// and ws the window scaler fitted on the same batch.
func (h *Head) decode(point, q []float32, tp *tensor.Tape, yhat *tensor.Tensor, ws *WindowScaler) {
	if h.dist != nil {
		loc, scale := ws.anchor()
		h.dist.Mean(point, yhat, loc, scale)
		if q != nil {
			if err := h.dist.QuantilesAt(q, yhat, loc, scale, h.qs); err != nil {
				panic(err) // the distribution's own levels
			}
		}
		return
	}
	y := ws.Inverse(tp, yhat).Data
	if h.k == 1 {
		copy(point, y)
		return
	}
	n := len(point)
	for i := range n {
		point[i] = y[i*h.k+h.median]
		if q != nil {
			for j, ch := range h.order {
				q[i*len(h.order)+j] = y[i*h.k+ch]
			}
		}
	}
}
