package rlinear_test

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/rlinear"
)

// RLinear's parameters: the linear map and RevIN's affine pair.
func Example() {
	m, err := model.New(rlinear.Kind, []byte(`{"input_size":336,"h":96}`))
	if err != nil {
		panic(err)
	}
	for _, p := range m.Params() {
		fmt.Println(p.Name, p.T.Shape)
	}
	fmt.Println("loss:", m.Common().Loss.Name)
	// Output:
	// Linear.weight [96 336]
	// Linear.bias [96]
	// rev.affine_weight [1]
	// rev.affine_bias [1]
	// loss: MSE
}
