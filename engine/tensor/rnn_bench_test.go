package tensor

import (
	"fmt"
	"testing"
)

// BenchmarkLSTM2x200 times a NeuralForecast-sized recurrent encoder: two
// stacked layers of 200 units over 168 steps with one input feature.
func BenchmarkLSTM2x200(b *testing.B) {
	for _, kind := range []string{"LSTM", "GRU"} {
		gates := 4
		if kind == "GRU" {
			gates = 3
		}
		const steps, h = 168, 200
		w1 := RNNWeights{WIH: rnnScaled(param(1, gates*h, 1), 0.07), WHH: rnnScaled(param(2, gates*h, h), 0.07), BIH: param(3, gates*h), BHH: param(4, gates*h)}
		w2 := RNNWeights{WIH: rnnScaled(param(5, gates*h, h), 0.07), WHH: rnnScaled(param(6, gates*h, h), 0.07), BIH: param(7, gates*h), BHH: param(8, gates*h)}
		for _, n := range []int{32, 128} {
			x := RandN(9, n, steps, 1)
			layers := func(tp *Tape) *Tensor {
				if kind == "LSTM" {
					o, _, _ := LSTM(tp, x, nil, nil, w1)
					o, _, _ = LSTM(tp, o, nil, nil, w2)
					return o
				}
				o, _ := GRU(tp, x, nil, w1)
				o, _ = GRU(tp, o, nil, w2)
				return o
			}
			b.Run(fmt.Sprintf("%s/N%d/forward", kind, n), func(b *testing.B) {
				tp := NewInferenceTape()
				for i := 0; i < b.N; i++ {
					tp.Reset()
					layers(tp)
				}
			})
			b.Run(fmt.Sprintf("%s/N%d/train", kind, n), func(b *testing.B) {
				tp := NewTape()
				for i := 0; i < b.N; i++ {
					tp.Reset()
					tp.Backward(SumAll(tp, layers(tp)))
				}
			})
		}
	}
}
