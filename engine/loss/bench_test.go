package loss

import (
	"testing"

	"github.com/streamcast/streamcast/engine/tensor"
)

func benchLoss(b *testing.B, l Loss) {
	const n, h = 1024, 24
	y := tensor.RandN(1, n, h)
	mask := tensor.New(n, h)
	for i := range mask.Data {
		mask.Data[i] = 1
	}
	yhat := tensor.RandN(2, n, h, l.Outputs())
	yhat.SetRequiresGrad(true)
	tp := tensor.NewTape()
	for b.Loop() {
		tp.Reset()
		yhat.ZeroGrad()
		tp.Backward(l.Forward(tp, yhat, y, mask))
	}
}

func BenchmarkMAE(b *testing.B) { benchLoss(b, MAE{}) }

func BenchmarkMQLoss(b *testing.B) {
	mq, _ := NewMQLoss([]float64{80, 90})
	benchLoss(b, mq)
}

func BenchmarkStudentT(b *testing.B) {
	d, _ := NewDistribution(StudentT, []float64{80, 90})
	benchLoss(b, d)
}

func BenchmarkNormal(b *testing.B) {
	d, _ := NewDistribution(Normal, []float64{80, 90})
	benchLoss(b, d)
}
