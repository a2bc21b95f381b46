package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/train"
)

// Why a training produced no usable model (test with errors.Is).
var (
	// ErrDiverged: the loss, the gradients or the weights became NaN or
	// infinite.
	ErrDiverged = errors.New("lifecycle: training diverged (non-finite loss, gradient or weight)")
	// ErrExploding: the gradient norm exceeded MaxGradNorm or the loss grew
	// beyond MaxLossRatio times its first value.
	ErrExploding = errors.New("lifecycle: exploding gradients")
	// ErrTimeout: the training did not finish within its deadline.
	ErrTimeout = errors.New("lifecycle: training timed out")
)

// FitRequest is one background training: start from the model file Blob
// (warm start: its weights; FromScratch: fresh weights of the same kind and
// hyper-parameters) and train Steps steps on Series.
type FitRequest struct {
	Blob        []byte
	FromScratch bool
	// Series are the training series with their exogenous variables in
	// the order of the model's lists.
	Series []train.Series
	// Training hyper-parameters (engine/train's, NeuralForecast's names).
	Steps            int
	LearningRate     float64
	BatchSize        int
	WindowsBatchSize int
	GradClipNorm     float64
	Seed             uint64
	// Safety limits: a step whose global gradient L2 norm exceeds
	// MaxGradNorm, or whose loss exceeds MaxLossRatio × the first step's
	// loss, aborts the training with ErrExploding (0: no limit).
	MaxGradNorm  float64
	MaxLossRatio float64
	// Threads bounds the CPUs of an isolated (process) training
	// (GOMAXPROCS of the worker; 0: all).
	Threads int
	// Meta is stored in the trained model file.
	Meta []byte
}

// FitResult is a finished training.
type FitResult struct {
	Blob      []byte // the trained model file
	Steps     int
	FirstLoss float64
	TrainLoss float64 // loss of the last step
	MaxGrad   float64 // largest gradient norm seen
	Duration  time.Duration
}

// Fitter runs trainings. Errors wrap ErrDiverged, ErrExploding or
// ErrTimeout when the training itself failed.
type Fitter interface {
	Fit(ctx context.Context, req *FitRequest) (*FitResult, error)
}

// InProcess trains in the calling goroutine's process: simplest, but its
// CPU is bounded only by the process's GOMAXPROCS, shared with serving (see
// ProcessFitter for isolation).
type InProcess struct{}

var _ Fitter = InProcess{}

// Fit implements Fitter.
func (InProcess) Fit(ctx context.Context, req *FitRequest) (*FitResult, error) { return fit(ctx, req) }

// fit is the training loop shared by InProcess and the worker process.
func fit(ctx context.Context, req *FitRequest) (*FitResult, error) {
	start := time.Now()
	l, err := model.Decode(req.Blob)
	if err != nil {
		return nil, fmt.Errorf("lifecycle: fit: starting model: %w", err)
	}
	m := l.Model
	if req.FromScratch {
		hyper, err := model.HyperJSON(m)
		if err != nil {
			return nil, err
		}
		if m, err = model.New(m.Kind(), hyper); err != nil {
			return nil, fmt.Errorf("lifecycle: fit: fresh %s: %w", l.Model.Kind(), err)
		}
	}
	cfg := train.DefaultConfig()
	cfg.MaxSteps = req.Steps
	if req.LearningRate > 0 {
		cfg.LearningRate = req.LearningRate
	}
	if req.BatchSize > 0 {
		cfg.BatchSize = req.BatchSize
	}
	if req.WindowsBatchSize != 0 {
		cfg.WindowsBatchSize = req.WindowsBatchSize
	}
	cfg.GradClipNorm = req.GradClipNorm
	cfg.Seed = req.Seed
	tr, err := train.NewTrainerSeries(m, req.Series, cfg)
	if err != nil {
		return nil, fmt.Errorf("lifecycle: fit: %w", err)
	}
	defer tr.Close()
	params := m.Params()
	res := &FitResult{}
	for s := 0; s < req.Steps; s++ {
		if err := ctx.Err(); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, fmt.Errorf("%w after %d of %d steps", ErrTimeout, s, req.Steps)
			}
			return nil, fmt.Errorf("lifecycle: fit: stopped after %d steps: %w", s, context.Cause(ctx))
		}
		loss := tr.Step()
		res.Steps++
		if !finite(loss) {
			return nil, fmt.Errorf("%w: loss %v at step %d", ErrDiverged, loss, s+1)
		}
		if s == 0 {
			res.FirstLoss = loss
		}
		res.TrainLoss = loss
		g := gradNorm(params)
		if !finite(g) {
			return nil, fmt.Errorf("%w: gradient norm %v at step %d", ErrDiverged, g, s+1)
		}
		res.MaxGrad = max(res.MaxGrad, g)
		if req.MaxGradNorm > 0 && g > req.MaxGradNorm {
			return nil, fmt.Errorf("%w: gradient norm %.3g > %.3g at step %d", ErrExploding, g, req.MaxGradNorm, s+1)
		}
		if req.MaxLossRatio > 0 && res.FirstLoss > 0 && loss > req.MaxLossRatio*res.FirstLoss {
			return nil, fmt.Errorf("%w: loss %.3g is %.0f× the first step's %.3g at step %d", ErrExploding, loss, loss/res.FirstLoss, res.FirstLoss, s+1)
		}
	}
	for _, p := range params {
		for _, v := range p.T.Data {
			if !finite(float64(v)) {
				return nil, fmt.Errorf("%w: weight %s holds %v", ErrDiverged, p.Name, v)
			}
		}
	}
	if res.Blob, err = model.Encode(m, req.Meta); err != nil {
		return nil, err
	}
	res.Duration = time.Since(start)
	return res, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// gradNorm is the global L2 norm of the parameters' gradients (those of
// the step just taken; clipped when GradClipNorm is set).
func gradNorm(ps []model.Param) float64 {
	var s float64
	for _, p := range ps {
		for _, g := range p.T.Grad {
			s += float64(g) * float64(g)
		}
	}
	return math.Sqrt(s)
}
