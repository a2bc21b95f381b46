package nhits_test

import (
	"fmt"
	"math"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/nhits"
)

// Example builds NeuralForecast's default NHITS for a week of hourly
// inputs and a two-day horizon and forecasts one series (untrained here;
// engine/train fits it).
func Example() {
	h := nhits.DefaultHyper(168, 48)
	h.ScalerType = "standard"
	m, err := nhits.New(h)
	if err != nil {
		panic(err)
	}
	history := make([]float64, 500)
	for i := range history {
		history[i] = 100 + 10*math.Sin(2*math.Pi*float64(i)/24)
	}
	forecast := make([]float64, 48)
	if err := model.NewPredictor(m).Predict(forecast, [][]float64{history}); err != nil {
		panic(err)
	}
	fmt.Println(m.Kind(), model.NumParams(m), "parameters,", len(forecast), "steps")
	fmt.Println(nhits.DefaultTrainConfig().NumLRDecays, "learning-rate halvings by default")
	// Output:
	// nhits 2839116 parameters, 48 steps
	// 3 learning-rate halvings by default
}
