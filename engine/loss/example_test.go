package loss_test

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/tensor"
)

func ExampleMAE() {
	y := tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	yhat := tensor.FromSlice([]float32{1.5, 2, 2, 4}, 2, 2)
	mask := tensor.FromSlice([]float32{1, 1, 1, 0}, 2, 2) // last point unavailable
	yhat.SetRequiresGrad(true)
	tp := tensor.NewTape()
	l := loss.MAE{}.Forward(tp, yhat, y, mask)
	tp.Backward(l)
	fmt.Printf("MAE %.4f, dL/dŷ %v\n", l.Data[0], yhat.Grad)
	// Output: MAE 0.5000, dL/dŷ [0.33333334 0 -0.33333334 0]
}

func ExampleMQLoss() {
	mq, err := loss.NewMQLoss([]float64{80, 90})
	if err != nil {
		panic(err)
	}
	fmt.Println(mq.Quantiles(), mq.OutputNames())
	// One target, five quantile predictions (channel innermost).
	y := tensor.FromSlice([]float32{10}, 1, 1)
	yhat := tensor.FromSlice([]float32{10, 8, 9, 11, 12}, 1, 1, 5)
	l := mq.Forward(tensor.NewInferenceTape(), yhat, y, nil)
	fmt.Printf("MQLoss %.4f\n", l.Data[0])
	// Output:
	// [0.5 0.05 0.1 0.9 0.95] [-median -lo-90 -lo-80 -hi-80 -hi-90]
	// MQLoss 0.0160
}

func ExampleDistribution() {
	d, err := loss.NewDistribution(loss.Normal, []float64{80})
	if err != nil {
		panic(err)
	}
	// Raw network outputs (loc, scale channels) for one target, anchored by a
	// window whose scaler statistics are loc 100, scale 10.
	raw := tensor.FromSlice([]float32{0.5, 0.3}, 1, 1, 2)
	y := tensor.FromSlice([]float32{104}, 1, 1)
	nll := d.ForwardScaled(tensor.NewInferenceTape(), raw, y, nil, []float32{100}, []float32{10})
	pred := make([]float32, 1+3)
	d.Predict(pred, raw, []float32{100}, []float32{10})
	fmt.Printf("NLL %.4f\n%v %.2f\n", nll.Data[0], d.OutputNames(), pred)
	// Output:
	// NLL 3.2790
	// [ -median -lo-80 -hi-80] [105.00 105.00 91.49 118.51]
}
