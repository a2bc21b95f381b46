package train_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/mlp"
	"github.com/streamcast/streamcast/engine/train"
)

// A target driven by a future-known random input: y_t = 2·u_t + 0.1·sin.
// Only a model that sees u over the horizon can forecast it.
func driven(n int, seed uint64) train.Series {
	rng := rand.New(rand.NewPCG(seed, 7))
	u := make([]float64, n)
	y := make([]float64, n)
	for i := range y {
		u[i] = rng.NormFloat64()
		y[i] = 2*u[i] + 0.1*math.Sin(float64(i)/5)
	}
	return train.Series{Y: y, Futr: [][]float64{u}}
}

func fitDriven(t *testing.T, futr []string, series []train.Series) float64 {
	t.Helper()
	h := mlp.DefaultHyper(24, 6)
	h.HiddenSize = 64
	h.FutrExog = futr
	m, err := mlp.New(h)
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig()
	cfg.MaxSteps = 300
	cfg.WindowsBatchSize = 64
	cfg.ValSize = 24
	cfg.ValCheckSteps = 300
	res, err := train.FitSeries(context.Background(), m, series, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res.BestVal
}

func TestFitUsesFutureExogenous(t *testing.T) {
	with := []train.Series{driven(400, 1), driven(400, 2)}
	without := make([]train.Series, len(with))
	for i, s := range with {
		without[i] = train.Series{Y: s.Y}
	}
	a := fitDriven(t, []string{"u"}, with)
	b := fitDriven(t, nil, without)
	t.Logf("validation MAE with the future input %.3f, without %.3f", a, b)
	// E|2u| = 1.6 for an uninformed forecast
	if !(a < 0.5 && b > 1.2) {
		t.Fatalf("validation MAE with the future input %.3f, without %.3f: the exogenous input is not used", a, b)
	}
}

func TestFitSeriesRejectsMismatchedExogenous(t *testing.T) {
	h := mlp.DefaultHyper(8, 2)
	h.HiddenSize = 4
	h.HistExog = []string{"a"}
	m, _ := mlp.New(h)
	for _, s := range []train.Series{
		{Y: make([]float64, 50)}, // missing variable
		{Y: make([]float64, 50), Hist: [][]float64{make([]float64, 49)}},                     // short column
		{Y: make([]float64, 50), Hist: [][]float64{{math.NaN()}}},                            // short and NaN
		{Y: make([]float64, 50), Hist: [][]float64{make([]float64, 50)}, Stat: []float64{1}}, // unexpected static
	} {
		if _, err := train.NewTrainerSeries(m, []train.Series{s}, train.DefaultConfig()); err == nil {
			t.Errorf("%d hist columns, %d static: no error", len(s.Hist), len(s.Stat))
		}
	}
}

// MQLoss trains quantiles: on noisy data the 10% and 90% quantiles bracket
// about 80% of held-out values and the median is the point forecast.
func TestFitMQLossQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	var series [][]float64
	for s := range 4 {
		y := make([]float64, 600)
		for i := range y {
			y[i] = math.Sin(2*math.Pi*float64(i)/24+float64(s)) + 0.5*rng.NormFloat64()
		}
		series = append(series, y)
	}
	h := mlp.DefaultHyper(48, 12)
	h.HiddenSize = 64
	h.Loss = &loss.Config{Name: "MQLoss", Level: []float64{80}}
	m, err := mlp.New(h)
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig()
	cfg.MaxSteps = 400
	cfg.WindowsBatchSize = 128
	var trainPart [][]float64
	for _, y := range series {
		trainPart = append(trainPart, y[:500])
	}
	if _, err := train.Fit(context.Background(), m, trainPart, cfg); err != nil {
		t.Fatal(err)
	}
	p := model.NewPredictor(m)
	if qs := p.Quantiles(); len(qs) != 3 || qs[0] != 0.1 || qs[1] != 0.5 || qs[2] != 0.9 {
		t.Fatalf("quantiles %v", qs)
	}
	var in, total int
	x := make([]float32, 48)
	point := make([]float32, 12)
	q := make([]float32, 12*3)
	for _, y := range series {
		for start := 500 - 48; start+48+12 <= 600; start += 4 {
			model.FillWindow(x, nil, y[start:start+48])
			if err := p.PredictBatch(point, q, &model.Batch{B: 1, Y: x}); err != nil {
				t.Fatal(err)
			}
			for j := range 12 {
				if point[j] != q[j*3+1] || !(q[j*3] <= q[j*3+2]) {
					t.Fatalf("point %v is not the median of %v", point[j], q[j*3:j*3+3])
				}
				v := float32(y[start+48+j])
				if v >= q[j*3] && v <= q[j*3+2] {
					in++
				}
				total++
			}
		}
	}
	if c := float64(in) / float64(total); c < 0.68 || c > 0.92 {
		t.Fatalf("80%% interval covers %.2f of %d held-out values", c, total)
	}
}

// A Normal DistributionLoss learns the noise level: its 80% interval
// covers about 80%, and the standard scaler's statistics are folded into
// the distribution (training on raw targets).
func TestFitDistributionLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	y := make([]float64, 1500)
	for i := range y {
		y[i] = 100 + 10*math.Sin(2*math.Pi*float64(i)/24) + 2*rng.NormFloat64()
	}
	h := mlp.DefaultHyper(48, 12)
	h.HiddenSize = 64
	h.ScalerType = "standard"
	h.Loss = &loss.Config{Name: "DistributionLoss", Distribution: "Normal", Level: []float64{80}}
	m, err := mlp.New(h)
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig()
	cfg.MaxSteps = 500
	cfg.WindowsBatchSize = 128
	if _, err := train.Fit(context.Background(), m, [][]float64{y[:1300]}, cfg); err != nil {
		t.Fatal(err)
	}
	p := model.NewPredictor(m)
	qs := p.Quantiles()
	if len(qs) != 3 {
		t.Fatalf("quantiles %v", qs)
	}
	var in, total int
	var absErr float64
	x := make([]float32, 48)
	point := make([]float32, 12)
	q := make([]float32, 36)
	for start := 1300 - 48; start+60 <= 1500; start += 3 {
		model.FillWindow(x, nil, y[start:start+48])
		if err := p.PredictBatch(point, q, &model.Batch{B: 1, Y: x}); err != nil {
			t.Fatal(err)
		}
		for j := range 12 {
			v := float32(y[start+48+j])
			absErr += math.Abs(float64(point[j] - v))
			if v >= q[j*3] && v <= q[j*3+2] {
				in++
			}
			total++
		}
	}
	if mae := absErr / float64(total); mae > 2.5 {
		t.Fatalf("mean forecast MAE %.2f (noise MAE 1.6)", mae)
	}
	if c := float64(in) / float64(total); c < 0.65 || c > 0.93 {
		t.Fatalf("80%% interval covers %.2f", c)
	}
}
