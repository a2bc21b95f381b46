package mlp_test

import (
	"testing"

	"github.com/streamcast/streamcast/engine/models/internal/modeltest"
	"github.com/streamcast/streamcast/engine/models/mlp"
)

func benchModel(b *testing.B) *mlp.MLP {
	m, err := mlp.New(mlp.DefaultHyper(168, 24))
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkTrainStep: one NeuralForecast training step of the default MLP
// (168 → 2×1024 → 24) on 32 windows, as in the PyTorch peer.
func BenchmarkTrainStep(b *testing.B) { modeltest.BenchTrainStep(b, benchModel(b)) }

// BenchmarkPredict1: single-series no-grad forecast of the default MLP.
func BenchmarkPredict1(b *testing.B) { modeltest.BenchPredict(b, benchModel(b), 1) }

// BenchmarkPredict100: a forecast over 100 series.
func BenchmarkPredict100(b *testing.B) { modeltest.BenchPredict(b, benchModel(b), 100) }
