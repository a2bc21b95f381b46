package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/streamcast/streamcast/engine/tensor"
)

// Fans returns PyTorch's (fan_in, fan_out) of a weight shape
// (torch.nn.init._calculate_fan_in_and_fan_out): for shape (out, in, k…),
// fan_in = in·∏k and fan_out = out·∏k. A Conv1d weight (Cout, Cin/groups, K)
// has fan_in = Cin/groups·K. It panics for rank < 2 (PyTorch raises).
func Fans(shape []int) (fanIn, fanOut int) {
	if len(shape) < 2 {
		panic(fmt.Sprintf("nn: fan in/out need a weight of rank >= 2, got %v", append([]int(nil), shape...)))
	}
	rf := 1
	for _, d := range shape[2:] {
		rf *= d
	}
	return shape[1] * rf, shape[0] * rf
}

// InitUniform fills t with U(−bound, bound).
func InitUniform(t *tensor.Tensor, bound float64, rng *rand.Rand) {
	for i := range t.Data {
		t.Data[i] = float32((2*rng.Float64() - 1) * bound)
	}
}

// InitNormal fills t with N(mean, std²) (nn.Embedding uses N(0, 1)).
func InitNormal(t *tensor.Tensor, mean, std float64, rng *rand.Rand) {
	for i := range t.Data {
		t.Data[i] = float32(mean + std*rng.NormFloat64())
	}
}

// InitConstant fills t with v (zeros for v = 0).
func InitConstant(t *tensor.Tensor, v float32) {
	for i := range t.Data {
		t.Data[i] = v
	}
}

// InitKaimingUniform is torch.nn.init.kaiming_uniform_ with leaky-ReLU
// slope a and mode fan_in: U(−b, b), b = gain·√(3/fan_in), gain = √(2/(1+a²)).
// PyTorch's Linear and Conv layers use a = √5, which gives b = 1/√fan_in.
func InitKaimingUniform(t *tensor.Tensor, a float64, rng *rand.Rand) {
	fanIn, _ := Fans(t.Shape)
	if fanIn == 0 {
		return // PyTorch warns and leaves the (empty) tensor alone
	}
	gain := math.Sqrt(2 / (1 + a*a))
	InitUniform(t, gain*math.Sqrt(3/float64(fanIn)), rng)
}

// InitXavierUniform is torch.nn.init.xavier_uniform_:
// U(−b, b), b = gain·√(6/(fan_in + fan_out)).
func InitXavierUniform(t *tensor.Tensor, gain float64, rng *rand.Rand) {
	fanIn, fanOut := Fans(t.Shape)
	if fanIn+fanOut == 0 {
		return
	}
	InitUniform(t, gain*math.Sqrt(6/float64(fanIn+fanOut)), rng)
}

// InitLayerDefault applies PyTorch's reset_parameters of nn.Linear and
// nn.Conv1d/2d: weight by kaiming_uniform_(a=√5), i.e. U(±1/√fan_in), and
// bias (may be nil) by U(±1/√fan_in) with the weight's fan_in.
func InitLayerDefault(weight, bias *tensor.Tensor, rng *rand.Rand) {
	InitKaimingUniform(weight, math.Sqrt(5), rng)
	if bias != nil {
		fanIn, _ := Fans(weight.Shape)
		if fanIn > 0 {
			InitUniform(bias, 1/math.Sqrt(float64(fanIn)), rng)
		}
	}
}
