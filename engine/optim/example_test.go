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
