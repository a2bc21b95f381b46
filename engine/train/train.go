package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/optim"
	"github.com/streamcast/streamcast/engine/tensor"
)

// ErrData marks series that cannot be trained on (too short, empty set).
var ErrData = errors.New("train: unusable data")

// ErrDiverged is returned when the training loss becomes NaN or infinite.
var ErrDiverged = errors.New("train: loss is not finite")

// ValPoint is one validation check.
type ValPoint struct {
	Step int     // steps completed in this Fit when checked
	Loss float64 // MAE over every validation window and horizon step
}

// Result summarises one Fit call.
type Result struct {
	Steps        int        // optimisation steps taken
	TrainLoss    float64    // loss of the last step
	Val          []ValPoint // validation checks, in order
	BestVal      float64    // lowest validation loss (NaN without validation)
	EarlyStopped bool       // stopped by patience before MaxSteps
	Duration     time.Duration
}

// Trainer holds the state of one Fit call: data windows, a fresh Adam
// optimiser and StepLR schedule, the recording tape and reusable batch
// buffers. Step allocates nothing of its own once warm: the backward
// closures that tensor ops record on the tape (one per op) are the only
// per-step allocations.
type Trainer struct {
	m      model.Model
	cfg    Config
	L, H   int
	win    *windowSet
	val    *windowSet // validation windows (nil without ValSize)
	params []*tensor.Tensor
	opt    *shardedAdam
	tp     *tensor.Tape
	loss   loss.Loss
	sc     *model.WindowScaler
	ex     *model.ExogScaler
	c      model.Common
	rng    *rand.Rand

	order    []int // series shuffle
	orderPos int
	batch    []int // series of this step
	prefix   []int // cumulative window counts over batch
	samp     sampler
	picks    []int
	xmask    []float32 // input availability, for the scaler
	y, mask  []float32
	yT, mT   *tensor.Tensor // tensors over y and mask
	yRaw     []float32      // unscaled targets (distribution losses)
	yRawT    *tensor.Tensor
	xwin     []float32 // raw input windows of the step
	futr     []float32 // exogenous inputs of the step's windows
	hist     []float32
	stat     []float32
	steps    int
	valPred  *model.Predictor
	valX     []float32
	valY     []float32
	valMask  []float32
	valOut   []float32
	valFutr  []float32
	valHist  []float32
	valStat  []float32
}

// NewTrainer prepares a training run of m on series (values oldest first,
// no exogenous variables). The optimiser updates parameter shards on
// GOMAXPROCS goroutines; call Close when done.
func NewTrainer(m model.Model, series [][]float64, cfg Config) (*Trainer, error) {
	return NewTrainerSeries(m, Univariate(series), cfg)
}

// NewTrainerSeries prepares a training run of m on series with exogenous
// variables (in the order of m's exogenous lists) and m's loss.
func NewTrainerSeries(m model.Model, series []Series, cfg Config) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := m.Common()
	sc, err := model.NewModelScaler(m)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	ex, err := model.NewExogScaler(c.ScalerType)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	lf, err := c.LossFunc()
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if len(series) == 0 {
		return nil, fmt.Errorf("%w: no series", ErrData)
	}
	t := &Trainer{m: m, cfg: cfg, L: c.InputSize, H: c.H, tp: tensor.NewTape(), sc: sc, ex: ex, c: c, loss: lf,
		rng: rand.New(rand.NewPCG(cfg.Seed, 0x747261696e))}
	F, X := len(c.FutrExog), len(c.HistExog)
	trainPart := make([]seriesData, len(series))
	var valPart []seriesData
	for i, s := range series {
		d, err := convert(i, s, c)
		if err != nil {
			return nil, err
		}
		n := len(s.Y) - cfg.ValSize
		if n < 1 {
			return nil, fmt.Errorf("%w: series %d has %d values, val_size %d leaves none for training", ErrData, i, len(s.Y), cfg.ValSize)
		}
		trainPart[i] = d.slice(0, n, F, X)
		if cfg.ValSize > 0 {
			// Validation windows: the last L+val_size values, no padding;
			// their targets lie in the hold-out.
			if cfg.ValSize < c.H {
				return nil, fmt.Errorf("%w: val_size %d is shorter than h %d", ErrData, cfg.ValSize, c.H)
			}
			if n >= c.InputSize {
				valPart = append(valPart, d.slice(n-c.InputSize, len(s.Y), F, X))
			}
		}
	}
	t.win = newWindowSetData(trainPart, t.L, t.H, F, X, cfg.StepSize, cfg.StartPaddingEnabled)
	if t.win.total() == 0 {
		return nil, fmt.Errorf("%w: no training window of input_size %d + h %d (series too short; start padding %v)", ErrData, t.L, t.H, cfg.StartPaddingEnabled)
	}
	if cfg.ValSize > 0 {
		if len(valPart) == 0 {
			return nil, fmt.Errorf("%w: no series is long enough (input_size + val_size = %d) for validation", ErrData, t.L+cfg.ValSize)
		}
		t.val = newWindowSetData(valPart, t.L, t.H, F, X, cfg.StepSize, false)
		t.valPred = model.NewPredictor(m)
	}
	for _, p := range m.Params() {
		t.params = append(t.params, p.T)
	}
	adamCfg := optim.DefaultAdam()
	adamCfg.LR = cfg.LearningRate
	if t.opt, err = newShardedAdam(t.params, adamCfg, cfg.MaxSteps, cfg.NumLRDecays); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	t.order = make([]int, len(series))
	for i := range t.order {
		t.order[i] = i
	}
	t.orderPos = len(t.order) // shuffle on first use
	return t, nil
}

func toFloat32(s []float64) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(v)
	}
	return out
}

// nextBatch picks the next BatchSize series of the shuffled epoch order
// (a DataLoader with shuffle=True; the last batch of an epoch may be smaller).
func (t *Trainer) nextBatch() {
	if t.orderPos >= len(t.order) {
		t.rng.Shuffle(len(t.order), func(i, j int) { t.order[i], t.order[j] = t.order[j], t.order[i] })
		t.orderPos = 0
	}
	end := min(t.orderPos+t.cfg.BatchSize, len(t.order))
	t.batch = append(t.batch[:0], t.order[t.orderPos:end]...)
	t.orderPos = end
}

// sampleWindows fills x (rows of L), t.y and t.mask, and the exogenous
// buffers, with the picked windows.
func (t *Trainer) sampleWindows(x []float32) {
	L, H, F, X, S := t.L, t.H, t.win.F, t.win.X, len(t.c.StatExog)
	for r, p := range t.picks {
		// locate window p among the batch's series
		b := sort.SearchInts(t.prefix, p+1) - 1
		i := t.batch[b]
		k := p - t.prefix[b]
		var xm []float32
		if !t.sc.Identity() {
			xm = t.xmask[r*L : (r+1)*L]
		}
		t.win.fill(i, k, x[r*L:(r+1)*L], xm, t.y[r*H:(r+1)*H], t.mask[r*H:(r+1)*H])
		if t.c.HasExog() {
			t.win.fillExog(i, k, t.futr[r*(L+H)*F:(r+1)*(L+H)*F], t.hist[r*L*X:(r+1)*L*X], t.stat[r*S:(r+1)*S])
		}
	}
}

// pick chooses the series and windows of one step and returns the number
// of windows.
func (t *Trainer) pick() int {
	for {
		t.nextBatch()
		t.prefix = append(t.prefix[:0], 0)
		total := 0
		for _, i := range t.batch {
			total += t.win.count[i]
			t.prefix = append(t.prefix, total)
		}
		if total == 0 {
			continue // every series of this batch is too short; NewTrainer guarantees some has windows
		}
		k := t.cfg.WindowsBatchSize
		if k <= 0 {
			k = total
			t.picks = t.picks[:0]
			for p := 0; p < total; p++ {
				t.picks = append(t.picks, p)
			}
		} else {
			t.picks = t.samp.sample(t.rng, total, k, t.picks)
		}
		t.prefix = t.prefix[:len(t.batch)] // starts only, for SearchInts
		return k
	}
}

// LR returns the learning rate the next step will use.
func (t *Trainer) LR() float64 { return t.opt.LR() }

// Step runs one optimisation step and returns its training loss.
func (t *Trainer) Step() float64 {
	k := t.pick()
	L, H := t.L, t.H
	if t.yT == nil || t.yT.Shape[0] != k {
		t.y = make([]float32, k*H)
		t.yRaw = make([]float32, k*H)
		t.mask = make([]float32, k*H)
		t.xmask = make([]float32, k*L)
		t.yT = tensor.FromSlice(t.y, k, H)
		t.yRawT = tensor.FromSlice(t.yRaw, k, H)
		t.mT = tensor.FromSlice(t.mask, k, H)
		t.futr = make([]float32, k*(L+H)*len(t.c.FutrExog))
		t.hist = make([]float32, k*L*len(t.c.HistExog))
		t.stat = make([]float32, k*len(t.c.StatExog))
		t.xwin = make([]float32, k*L)
	}
	t.tp.Reset()
	t.sampleWindows(t.xwin)
	// Per-window scaling (NeuralForecast's _normalization): statistics from
	// the valid inputs; inputs and targets are scaled, point losses are
	// taken on the scaled values, distribution losses on the raw ones.
	var xm []float32
	if !t.sc.Identity() {
		xm = t.xmask
	}
	in := model.ScaleInputs(t.tp, t.c, t.sc, t.ex, &model.Batch{B: k, Y: t.xwin, YMask: xm, Futr: t.futr, Hist: t.hist, Stat: t.stat})
	copy(t.yRaw, t.y)
	t.sc.ScaleInPlace(t.y, k)
	yhat := model.Run(t.tp, t.m, in)
	loss := t.sc.TrainLoss(t.tp, t.loss, yhat, t.yRawT, t.yT, t.mT)
	t.opt.ZeroGrad()
	t.tp.Backward(loss)
	if t.cfg.GradClipNorm > 0 {
		optim.ClipGradNorm(t.params, t.cfg.GradClipNorm)
	}
	t.opt.Step()
	t.steps++
	return float64(loss.Data[0])
}

// ValLoss returns the MAE of the model's point forecasts (median or mean
// for multi-output losses), on the data scale, over every validation
// window (NaN without validation data).
func (t *Trainer) ValLoss() float64 {
	if t.val == nil {
		return math.NaN()
	}
	const chunk = 256
	if t.valX == nil {
		t.valX = make([]float32, chunk*t.L)
		t.valY = make([]float32, chunk*t.H)
		t.valMask = make([]float32, chunk*t.H)
		t.valOut = make([]float32, chunk*t.H)
		t.valFutr = make([]float32, chunk*(t.L+t.H)*len(t.c.FutrExog))
		t.valHist = make([]float32, chunk*t.L*len(t.c.HistExog))
		t.valStat = make([]float32, chunk*len(t.c.StatExog))
	}
	F, X, S := len(t.c.FutrExog), len(t.c.HistExog), len(t.c.StatExog)
	var sum, cnt float64
	flush := func(b int) {
		out := t.valOut[:b*t.H]
		batch := model.Batch{B: b, Y: t.valX[:b*t.L], Futr: t.valFutr[:b*(t.L+t.H)*F], Hist: t.valHist[:b*t.L*X], Stat: t.valStat[:b*S]}
		if err := t.valPred.PredictBatch(out, nil, &batch); err != nil {
			panic(err) // sizes are ours
		}
		for j, v := range out {
			m := float64(t.valMask[j])
			sum += m * math.Abs(float64(v)-float64(t.valY[j]))
			cnt += m
		}
	}
	b := 0
	for i := range t.val.series {
		// windows whose h targets all lie in the hold-out: starts 0,
		// step, … up to val_size−h of the validation slice
		full := (t.cfg.ValSize-t.H)/t.cfg.StepSize + 1
		for k := 0; k < full; k++ {
			t.val.fill(i, k, t.valX[b*t.L:(b+1)*t.L], nil, t.valY[b*t.H:(b+1)*t.H], t.valMask[b*t.H:(b+1)*t.H])
			if t.c.HasExog() {
				t.val.fillExog(i, k, t.valFutr[b*(t.L+t.H)*F:(b+1)*(t.L+t.H)*F], t.valHist[b*t.L*X:(b+1)*t.L*X], t.valStat[b*S:(b+1)*S])
			}
			b++
			if b == chunk {
				flush(b)
				b = 0
			}
		}
	}
	if b > 0 {
		flush(b)
	}
	if cnt == 0 {
		return math.NaN()
	}
	return sum / cnt
}

// Fit trains m on series for cfg.MaxSteps steps (fewer when early stopping
// triggers or ctx ends) and returns a summary. Weights are updated in place;
// a later Fit continues from them with a fresh optimiser.
func Fit(ctx context.Context, m model.Model, series [][]float64, cfg Config) (*Result, error) {
	return FitSeries(ctx, m, Univariate(series), cfg)
}

// FitSeries is Fit on series with exogenous variables.
func FitSeries(ctx context.Context, m model.Model, series []Series, cfg Config) (*Result, error) {
	t, err := NewTrainerSeries(m, series, cfg)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	return t.Run(ctx)
}

// Close stops the optimiser's helper goroutines; the Trainer must not be
// used afterwards. Fit closes its Trainer itself.
func (t *Trainer) Close() { t.opt.close() }

// Run executes the configured number of steps with validation and early
// stopping.
func (t *Trainer) Run(ctx context.Context) (*Result, error) {
	start := time.Now()
	res := &Result{BestVal: math.NaN()}
	bad := 0
	log := t.cfg.Logger
	every := t.cfg.LogEvery
	if every == 0 {
		every = 100
	}
	for s := 0; s < t.cfg.MaxSteps; s++ {
		if s&15 == 0 {
			if err := ctx.Err(); err != nil {
				res.Duration = time.Since(start)
				return res, fmt.Errorf("train: stopped after %d steps: %w", res.Steps, err)
			}
		}
		res.TrainLoss = t.Step()
		res.Steps++
		if math.IsNaN(res.TrainLoss) || math.IsInf(res.TrainLoss, 0) {
			res.Duration = time.Since(start)
			return res, fmt.Errorf("%w at step %d", ErrDiverged, res.Steps)
		}
		if t.val != nil && res.Steps%t.cfg.ValCheckSteps == 0 {
			vl := t.ValLoss()
			res.Val = append(res.Val, ValPoint{Step: res.Steps, Loss: vl})
			if math.IsNaN(res.BestVal) || vl < res.BestVal {
				res.BestVal, bad = vl, 0
			} else {
				bad++
			}
			if log != nil {
				log.Info("validation", "step", res.Steps, "train_loss", res.TrainLoss, "val_loss", vl)
			}
			if t.cfg.EarlyStopPatienceSteps > 0 && bad >= t.cfg.EarlyStopPatienceSteps {
				res.EarlyStopped = true
				break
			}
		} else if log != nil && res.Steps%every == 0 {
			log.Info("training", "step", res.Steps, "train_loss", res.TrainLoss)
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}
