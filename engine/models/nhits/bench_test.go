package nhits_test

import (
	"testing"

	"github.com/streamcast/streamcast/engine/models/internal/modeltest"
	"github.com/streamcast/streamcast/engine/models/nhits"
)

func benchModel(b *testing.B) *nhits.NHITS {
	m, err := nhits.New(nhits.DefaultHyper(168, 24))
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkPredict1: single-series no-grad forecast of the default NHITS
// (input_size 168, h 24), what `bench predict` times.
func BenchmarkPredict1(b *testing.B) { modeltest.BenchPredict(b, benchModel(b), 1) }

// BenchmarkPredict100: a forecast over 100 series.
func BenchmarkPredict100(b *testing.B) { modeltest.BenchPredict(b, benchModel(b), 100) }

// BenchmarkTrainStep: one training step of the default NHITS on 32
// windows, as in the PyTorch peer.
func BenchmarkTrainStep(b *testing.B) { modeltest.BenchTrainStep(b, benchModel(b)) }
