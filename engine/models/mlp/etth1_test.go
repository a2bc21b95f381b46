package mlp_test

import (
	"context"
	"math"
	"os"
	"testing"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/mlp"
	"github.com/streamcast/streamcast/engine/train"
	"github.com/streamcast/streamcast/ingest"

	"github.com/streamcast/streamcast/internal/shareddata"
)

// ETTh1 protocol (shared/data/README.md): train rows 0-8639, validation
// 8640-11519, test 11520-14399; z-score with the training mean and
// population standard deviation; test windows slide by one hour.
const (
	ettTrainEnd = 8640
	ettValEnd   = 11520
	ettTestEnd  = 14400
)

// loadOT returns ETTh1's OT column z-scored with the training statistics.
func loadOT(t testing.TB) []float64 {
	p := shareddata.ETTh1(t)
	d, err := ingest.ReadSeriesFile(p, "OT")
	if err != nil {
		t.Fatal(err)
	}
	y := d.Series[0].Y
	if len(y) < ettTestEnd {
		t.Fatalf("ETTh1 OT has %d rows", len(y))
	}
	var mean, ss float64
	for _, v := range y[:ettTrainEnd] {
		mean += v
	}
	mean /= ettTrainEnd
	for _, v := range y[:ettTrainEnd] {
		ss += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(ss / ettTrainEnd)
	z := make([]float64, ettTestEnd)
	for i := range z {
		z[i] = (y[i] - mean) / sd
	}
	return z
}

type scores struct{ mse, mae, repMSE, repMAE float64 }

// evalTest scores the model and the repeat-last-value forecast on every
// test window (targets in rows 11520-14399, stride 1).
func evalTest(t testing.TB, m model.Model, z []float64) scores {
	c := m.Common()
	L, H := c.InputSize, c.H
	p := model.NewPredictor(m)
	const chunk = 512
	hist := make([][]float64, 0, chunk)
	starts := make([]int, 0, chunk)
	dst := make([]float64, chunk*H)
	var s scores
	n := 0
	flush := func() {
		if err := p.Predict(dst[:len(hist)*H], hist); err != nil {
			t.Fatal(err)
		}
		for b, st := range starts {
			last := z[st-1]
			for j := 0; j < H; j++ {
				y := z[st+j]
				e := dst[b*H+j] - y
				s.mse += e * e
				s.mae += math.Abs(e)
				r := last - y
				s.repMSE += r * r
				s.repMAE += math.Abs(r)
				n++
			}
		}
		hist, starts = hist[:0], starts[:0]
	}
	for st := ettValEnd; st+H <= ettTestEnd; st++ {
		hist = append(hist, z[st-L:st])
		starts = append(starts, st)
		if len(hist) == chunk {
			flush()
		}
	}
	flush()
	f := float64(n)
	return scores{s.mse / f, s.mae / f, s.repMSE / f, s.repMAE / f}
}

// TestETTh1Learns trains NeuralForecast's default MLP architecture
// (2×1024, ReLU, MAE, Adam 1e-3) for a shortened schedule (400 steps of 32
// windows, three learning-rate halvings, NeuralForecast's "standard"
// per-window scaler; measured MSE 0.0287 / MAE 0.129 against repeat
// 0.0343 / 0.139 on both BLAS builds) on the ETTh1 training split and requires it to beat
// the repeat-last-value forecast on the test split in both MSE and MAE, and
// the untrained network clearly. Without a scaler the MLP overfits the one
// training series within a few hundred steps (the test period's level
// differs from the training year's), which makes the margin fragile.
func TestETTh1Learns(t *testing.T) {
	z := loadOT(t)
	h := mlp.DefaultHyper(168, 24)
	h.ScalerType = "standard"
	m, err := mlp.New(h)
	if err != nil {
		t.Fatal(err)
	}
	before := evalTest(t, m, z)
	cfg := train.DefaultConfig()
	cfg.MaxSteps = 400
	cfg.WindowsBatchSize = 32
	cfg.NumLRDecays = 3
	res, err := train.Fit(context.Background(), m, [][]float64{z[:ettTrainEnd]}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	after := evalTest(t, m, z)
	t.Logf("steps %d in %v, last train loss %.4f", res.Steps, res.Duration, res.TrainLoss)
	t.Logf("untrained MSE %.4f MAE %.4f", before.mse, before.mae)
	t.Logf("trained   MSE %.4f MAE %.4f", after.mse, after.mae)
	t.Logf("repeat    MSE %.4f MAE %.4f", after.repMSE, after.repMAE)
	if !(after.mse < after.repMSE && after.mae < after.repMAE) {
		t.Errorf("MLP does not beat repeat-last-value: MSE %.4f vs %.4f, MAE %.4f vs %.4f", after.mse, after.repMSE, after.mae, after.repMAE)
	}
	if !(after.mse < 0.7*before.mse) {
		t.Errorf("training barely helped: MSE %.4f untrained, %.4f trained", before.mse, after.mse)
	}
}

// TestETTh1FullDefaults trains NeuralForecast's default MLP (2×1024, 1000
// steps of 1024 windows, Adam 1e-3, no decay, no validation) and reports
// the test scores. It is slow (minutes on 2 cores), so it only runs with
// STREAMCAST_ETTH1_FULL=1. It is a measurement: with one series of 8,640
// training values the defaults make ~120 passes over the ~8,450 windows
// and overfit (measured: test MSE 0.0527 / MAE 0.1804 against repeat
// 0.0343 / 0.1394), so it only checks that training helped at all;
// TestETTh1Learns is the learning check.
func TestETTh1FullDefaults(t *testing.T) {
	if os.Getenv("STREAMCAST_ETTH1_FULL") == "" {
		t.Skip("set STREAMCAST_ETTH1_FULL=1 to train the full-default MLP on ETTh1")
	}
	z := loadOT(t)
	m, err := mlp.New(mlp.DefaultHyper(168, 24))
	if err != nil {
		t.Fatal(err)
	}
	before := evalTest(t, m, z)
	cfg := train.DefaultConfig()
	res, err := train.Fit(context.Background(), m, [][]float64{z[:ettTrainEnd]}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := evalTest(t, m, z)
	t.Logf("full defaults: %d steps in %v; test MSE %.4f MAE %.4f; repeat MSE %.4f MAE %.4f; untrained MSE %.4f", res.Steps, res.Duration, s.mse, s.mae, s.repMSE, s.repMAE, before.mse)
	if !(s.mse < before.mse/2) {
		t.Errorf("training barely helped: MSE %.4f untrained, %.4f trained", before.mse, s.mse)
	}
}
