package modeltest

// Benchmark helpers shared by the model packages' speed benchmarks.

import (
	"math"
	"testing"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/train"
)

// SineSeries returns n values of a daily sine (period 24).
func SineSeries(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.Sin(2 * math.Pi * float64(i) / 24)
	}
	return s
}

// BenchPredict times a no-grad forecast of series histories of m's input
// size (series = 1 is what `bench predict` times), reporting allocations.
func BenchPredict(b *testing.B, m model.Model, series int) {
	b.Helper()
	c := m.Common()
	L, H := c.InputSize, c.H
	p := model.NewPredictor(m)
	s := SineSeries(L * series)
	hist := make([][]float64, series)
	for i := range hist {
		hist[i] = s[i*L : (i+1)*L]
	}
	dst := make([]float64, series*H)
	if err := p.Predict(dst, hist); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_ = p.Predict(dst, hist)
	}
}

// BenchTrainStep times one training step of m on 32 windows of a long
// sine series, as in the PyTorch peer.
func BenchTrainStep(b *testing.B, m model.Model) {
	b.Helper()
	cfg := train.DefaultConfig()
	cfg.WindowsBatchSize = 32
	tr, err := train.NewTrainer(m, [][]float64{SineSeries(4000)}, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	tr.Step()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tr.Step()
	}
}
