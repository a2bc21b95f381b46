package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/streamcast/streamcast/engine/nn"
	"github.com/streamcast/streamcast/engine/tensor"
)

func ExampleNewMLP() {
	rng := rand.New(rand.NewPCG(42, 0))
	mlp, err := nn.NewMLP([]int{24, 64, 12}, tensor.ReLU, rng)
	if err != nil {
		panic(err)
	}
	for _, p := range nn.Prefixed("mlp", mlp) {
		fmt.Println(p.Name, p.T.Shape)
	}
	y := mlp.Forward(tensor.NewInferenceTape(), tensor.New(2, 24))
	fmt.Println(y.Shape)
	// Output:
	// mlp.layers.0.weight [64 24]
	// mlp.layers.0.bias [64]
	// mlp.layers.1.weight [12 64]
	// mlp.layers.1.bias [12]
	// [2 12]
}
