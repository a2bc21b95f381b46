package dlinear_test

import (
	"fmt"
	"testing"

	"github.com/streamcast/streamcast/engine/models/dlinear"
	"github.com/streamcast/streamcast/engine/tensor"
)

func TestMovingAvgValues(t *testing.T) {
	cases := []struct {
		x    []float32
		k    int
		want []float32
	}{
		{[]float32{1, 2, 3, 4, 5}, 1, []float32{1, 2, 3, 4, 5}},
		// pad 1 each side: [1 1 2 3 4 5 5]
		{[]float32{1, 2, 3, 4, 5}, 3, []float32{4.0 / 3, 2, 3, 4, 14.0 / 3}},
		// pad 2: [1 1 1 2 3 4 5 5 5]
		{[]float32{1, 2, 3, 4, 5}, 5, []float32{8.0 / 5, 11.0 / 5, 3, 19.0 / 5, 22.0 / 5}},
		// window wider than the row: pad 3, [2 2 2 2 6 6 6 6]
		{[]float32{2, 6}, 7, []float32{(4*2 + 3*6) / 7.0, (3*2 + 4*6) / 7.0}},
		{[]float32{7}, 25, []float32{7}},
	}
	for _, c := range cases {
		x := tensor.FromSlice(c.x, 1, len(c.x))
		y := dlinear.MovingAvg(tensor.NewInferenceTape(), x, c.k)
		for i, w := range c.want {
			if d := y.Data[i] - w; d > 1e-6 || d < -1e-6 {
				t.Errorf("x %v k %d: %v, want %v", c.x, c.k, y.Data, c.want)
				break
			}
		}
	}
}

func TestMovingAvgGradient(t *testing.T) {
	for _, c := range []struct{ b, l, k int }{{2, 9, 3}, {3, 30, 25}, {2, 4, 25}, {1, 1, 5}, {2, 6, 1}, {2, 3, 3}} {
		t.Run(fmt.Sprintf("B%d_L%d_k%d", c.b, c.l, c.k), func(t *testing.T) {
			x := tensor.RandN(uint64(c.l), c.b, c.l)
			x.SetRequiresGrad(true)
			f := func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor { return dlinear.MovingAvg(tp, in[0], c.k) }
			if err := tensor.GradCheck(f, []*tensor.Tensor{x}, tensor.GradCheckOptions{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestMovingAvgPanics(t *testing.T) {
	for _, k := range []int{0, 2, -3} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("window %d: no panic", k)
				}
			}()
			dlinear.MovingAvg(tensor.NewInferenceTape(), tensor.New(1, 4), k)
		}()
	}
}
