package nhits_test

import (
	"math"
	"testing"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/nhits"
	"github.com/streamcast/streamcast/engine/train"
)

func benchSeries(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.Sin(2 * math.Pi * float64(i) / 24)
	}
	return s
}

// BenchmarkPredict1: single-series no-grad forecast of the default NHITS
// (input_size 168, h 24), what `bench predict` times.
func BenchmarkPredict1(b *testing.B) {
	m, err := nhits.New(nhits.DefaultHyper(168, 24))
	if err != nil {
		b.Fatal(err)
	}
	p := model.NewPredictor(m)
	hist := [][]float64{benchSeries(168)}
	dst := make([]float64, 24)
	_ = p.Predict(dst, hist)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_ = p.Predict(dst, hist)
	}
}

// BenchmarkPredict100: a forecast over 100 series.
func BenchmarkPredict100(b *testing.B) {
	m, err := nhits.New(nhits.DefaultHyper(168, 24))
	if err != nil {
		b.Fatal(err)
	}
	p := model.NewPredictor(m)
	s := benchSeries(168 * 100)
	hist := make([][]float64, 100)
	for i := range hist {
		hist[i] = s[i*168 : (i+1)*168]
	}
	dst := make([]float64, 100*24)
	_ = p.Predict(dst, hist)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		_ = p.Predict(dst, hist)
	}
}

// BenchmarkTrainStep: one training step of the default NHITS on 32
// windows, as in the PyTorch peer.
func BenchmarkTrainStep(b *testing.B) {
	m, err := nhits.New(nhits.DefaultHyper(168, 24))
	if err != nil {
		b.Fatal(err)
	}
	cfg := train.DefaultConfig()
	cfg.WindowsBatchSize = 32
	tr, err := train.NewTrainer(m, [][]float64{benchSeries(4000)}, cfg)
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
