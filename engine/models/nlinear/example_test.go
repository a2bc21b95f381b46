package nlinear_test

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/nlinear"
)

// A 24-step NLinear over a week of hourly values: one linear map of the
// window minus its last value.
func Example() {
	m, err := model.New(nlinear.Kind, []byte(`{"input_size":168,"h":24}`))
	if err != nil {
		panic(err)
	}
	for _, p := range m.Params() {
		fmt.Println(p.Name, p.T.Shape)
	}
	hist := make([]float64, 200)
	for i := range hist {
		hist[i] = 42 // a flat history: the untrained map still returns ≈ 42 + bias
	}
	dst := make([]float64, 24)
	if err := model.NewPredictor(m).Predict(dst, [][]float64{hist}); err != nil {
		panic(err)
	}
	fmt.Println(len(dst), dst[0] > 41.9 && dst[0] < 42.1)
	// Output:
	// linear.weight [24 168]
	// linear.bias [24]
	// 24 true
}
