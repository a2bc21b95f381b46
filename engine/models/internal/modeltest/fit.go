package modeltest

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/train"
)

// Driven returns a series whose future cannot be told from its own past:
// with role "futr", y_t = 2·u_t + 0.1·sin(t/5) for a white-noise input u
// known over the horizon; with role "hist", y_t = 2·x_{t−6} + 0.1·sin(t/5)
// for a white-noise input x known up to the forecast origin (so with h ≤ 6
// every target is determined by the input window of x). Every series also
// carries one static variable (its seed), which carries no information.
func Driven(role string, n int, seed uint64) train.Series {
	rng := rand.New(rand.NewPCG(seed, 7))
	u := make([]float64, n)
	y := make([]float64, n)
	for i := range u {
		u[i] = rng.NormFloat64()
	}
	for i := range y {
		src := u[i]
		if role == "hist" {
			src = 0
			if i >= 6 {
				src = u[i-6]
			}
		}
		y[i] = 2*src + 0.1*math.Sin(float64(i)/5)
	}
	s := train.Series{Y: y, Stat: []float64{float64(seed)}}
	if role == "hist" {
		s.Hist = [][]float64{u}
	} else {
		s.Futr = [][]float64{u}
	}
	return s
}

// ExogLearning trains two models from build (L = 24, h = 6) for 300 steps
// of 64 windows on series driven by a role variable ("futr" or "hist"):
// one given the variable (and an uninformative static one), one without
// exogenous inputs. The first must forecast the validation hold-out well
// (MAE < 0.5), the second cannot (MAE > 1.2; an uninformed forecast has
// E|2u| ≈ 1.6), so the exogenous inputs reach the network through the
// trainer.
func ExogLearning(t *testing.T, role string, build func(futr, hist, stat []string) model.Model) {
	t.Helper()
	var with, without []train.Series
	for s := range uint64(3) {
		d := Driven(role, 400, s+1)
		with = append(with, d)
		without = append(without, train.Series{Y: d.Y})
	}
	fit := func(m model.Model, series []train.Series) float64 {
		cfg := train.DefaultConfig()
		cfg.MaxSteps, cfg.WindowsBatchSize, cfg.NumLRDecays = 300, 64, 3
		cfg.ValSize, cfg.ValCheckSteps = 24, 300
		res, err := train.FitSeries(context.Background(), m, series, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return res.BestVal
	}
	var m model.Model
	if role == "hist" {
		m = build(nil, []string{"x"}, []string{"id"})
	} else {
		m = build([]string{"u"}, nil, []string{"id"})
	}
	a := fit(m, with)
	b := fit(build(nil, nil, nil), without)
	t.Logf("%s: validation MAE with the %s input %.3f, without %.3f", m.Kind(), role, a, b)
	if !(a < 0.5 && b > 1.2) {
		t.Fatalf("%s: validation MAE with the %s input %.3f, without %.3f: the exogenous input is not used", m.Kind(), role, a, b)
	}
}

// MQLossCoverage trains m, configured with MQLoss level [80] and h = 12,
// on noisy daily cycles and requires the predicted 10%–90% band to cover
// 68–92% of held-out values, with the point forecast the median channel.
func MQLossCoverage(t *testing.T, m model.Model) {
	t.Helper()
	c := m.Common()
	L, H := c.InputSize, c.H
	rng := rand.New(rand.NewPCG(3, 3))
	var series, trainPart [][]float64
	for s := range 4 {
		y := make([]float64, 600)
		for i := range y {
			y[i] = math.Sin(2*math.Pi*float64(i)/24+float64(s)) + 0.5*rng.NormFloat64()
		}
		series = append(series, y)
		trainPart = append(trainPart, y[:500])
	}
	cfg := train.DefaultConfig()
	cfg.MaxSteps, cfg.WindowsBatchSize, cfg.NumLRDecays = 400, 128, 3
	if _, err := train.Fit(context.Background(), m, trainPart, cfg); err != nil {
		t.Fatal(err)
	}
	p := model.NewPredictor(m)
	if qs := p.Quantiles(); len(qs) != 3 || qs[0] != 0.1 || qs[1] != 0.5 || qs[2] != 0.9 {
		t.Fatalf("quantiles %v", qs)
	}
	var in, total int
	x := make([]float32, L)
	point := make([]float32, H)
	q := make([]float32, H*3)
	for _, y := range series {
		for start := 500 - L; start+L+H <= 600; start += 4 {
			model.FillWindow(x, nil, y[start:start+L])
			if err := p.PredictBatch(point, q, &model.Batch{B: 1, Y: x}); err != nil {
				t.Fatal(err)
			}
			for j := range H {
				if point[j] != q[j*3+1] || !(q[j*3] <= q[j*3+2]) {
					t.Fatalf("point %v is not the median of %v", point[j], q[j*3:j*3+3])
				}
				v := float32(y[start+L+j])
				if v >= q[j*3] && v <= q[j*3+2] {
					in++
				}
				total++
			}
		}
	}
	cov := float64(in) / float64(total)
	t.Logf("%s: 80%% interval covers %.3f of %d held-out values", m.Kind(), cov, total)
	if cov < 0.68 || cov > 0.92 {
		t.Fatalf("80%% interval covers %.2f of %d held-out values", cov, total)
	}
}
