package nbeatsx_test

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/nbeatsx"
	"github.com/streamcast/streamcast/engine/tensor"
)

// Example builds an NBEATSx with a future-known calendar variable and an
// exogenous stack, and runs it on one window: ForwardInputs takes the
// target window [B, L] and the future variable over window and horizon
// [B, L+h, F].
func Example() {
	h := nbeatsx.DefaultHyper(24, 12)
	h.FutrExog = []string{"hour_sin"}
	h.StackTypes, h.NBlocks = []string{"identity", "exogenous", "seasonality"}, []int{1, 1, 1}
	h.MLPUnits = [][]int{{64, 64}, {64, 64}}
	m, err := nbeatsx.New(h)
	if err != nil {
		panic(err)
	}
	in := model.Inputs{Y: tensor.RandN(1, 1, 24), Futr: tensor.RandN(2, 1, 24+12, 1)}
	out := m.ForwardInputs(tensor.NewInferenceTape(), in)
	fmt.Println(out.Shape)
	// Output: [1 12]
}
