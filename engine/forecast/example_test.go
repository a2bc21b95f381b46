package forecast_test

import (
	"fmt"

	"github.com/streamcast/streamcast/engine/forecast"
)

func Example() {
	model, err := forecast.New("snaive", forecast.Options{Season: 3})
	if err != nil {
		panic(err)
	}
	histories := [][]float64{
		{10, 20, 30, 11, 21, 31}, // a full season is available
		{5, 6},                   // shorter than the season: naive fallback
	}
	const h = 4
	dst := make([]float64, len(histories)*h) // caller-owned, reusable
	if err := model.Forecast(dst, histories, h); err != nil {
		panic(err)
	}
	fmt.Println(model.Name(), model.Version())
	fmt.Println(dst[:h])
	fmt.Println(dst[h:])

	s, _ := forecast.SMAPE([]float64{12, 22}, dst[:2])
	fmt.Printf("sMAPE %.2f\n", s)
	// Output:
	// snaive 1-m3
	// [11 21 31 11]
	// [6 6 6 6]
	// sMAPE 6.67
}
