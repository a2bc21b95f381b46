package optim_test

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/optim"
	"github.com/streamcast/streamcast/engine/tensor"
)

// Minimise (w − 3)² with Adam and NeuralForecast's halving schedule.
func ExampleAdam() {
	w := tensor.NewParam(1)
	cfg := optim.DefaultAdam()
	cfg.LR = 0.1
	opt, err := optim.NewAdam([]*tensor.Tensor{w}, cfg)
	if err != nil {
		panic(err)
	}
	sched, _ := optim.NewNFStepLR(opt, 300, 3)
	for range 300 {
		opt.ZeroGrad()
		w.Grad[0] = 2 * (w.Data[0] - 3)
		opt.Step()
		sched.Step()
	}
	fmt.Printf("w = %.3f, lr = %g\n", w.Data[0], opt.LR())
	// Output: w = 3.000, lr = 0.0125
}

// Clip the global gradient norm before the optimiser step, as Lightning's
// gradient_clip_val does.
func ExampleClipGradNorm() {
	w := tensor.NewParam(2)
	copy(w.Grad, []float32{3, 4})
	norm := optim.ClipGradNorm([]*tensor.Tensor{w}, 1)
	fmt.Printf("norm %.1f, clipped %.3f\n", norm, w.Grad)
	// Output: norm 5.0, clipped [0.600 0.800]
}

func ExampleSGD() {
	w := tensor.NewParam(1)
	opt, err := optim.NewSGD([]*tensor.Tensor{w}, optim.SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true})
	if err != nil {
		panic(err)
	}
	for range 100 {
		opt.ZeroGrad()
		w.Grad[0] = 2 * (w.Data[0] - 3)
		opt.Step()
	}
	fmt.Printf("w = %.4f\n", w.Data[0])
	// Output: w = 3.0000
}
