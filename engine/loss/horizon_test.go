package loss

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/streamcast/streamcast/engine/tensor"
)

func TestHorizonWeightedAgainstTorch(t *testing.T) {
	b, err := os.ReadFile("testdata/losses.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Horizon []struct {
			Name    string    `json:"name"`
			Weights []float64 `json:"weights"`
			Y       []float32 `json:"y"`
			Yhat    []float32 `json:"yhat"`
			Mask    []float32 `json:"mask"`
			Loss    float64   `json:"loss"`
			Grad    []float64 `json:"grad"`
		} `json:"horizon"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Horizon) == 0 {
		t.Fatal("no horizon goldens")
	}
	for _, c := range g.Horizon {
		inner, err := Config{Name: c.Name}.New()
		if err != nil {
			t.Fatal(err)
		}
		l, err := NewHorizonWeighted(inner, c.Weights)
		if err != nil {
			t.Fatal(err)
		}
		y := tensor.FromSlice(c.Y, 3, 4)
		yhat := tensor.FromSlice(c.Yhat, 3, 4, l.Outputs())
		yhat.SetRequiresGrad(true)
		mask := tensor.FromSlice(c.Mask, 3, 4)
		tp := tensor.NewTape()
		out := l.Forward(tp, yhat, y, mask)
		if !relClose(float64(out.Data[0]), c.Loss, 1e-5) {
			t.Fatalf("%s: loss %v, torch %v", c.Name, out.Data[0], c.Loss)
		}
		tp.Backward(out)
		for i, want := range c.Grad {
			if !relClose(float64(yhat.Grad[i]), want, 1e-5) {
				t.Fatalf("%s: grad[%d] %v, torch %v", c.Name, i, yhat.Grad[i], want)
			}
		}
	}
	d, _ := NewDistribution(Normal, nil)
	if _, err := NewHorizonWeighted(d, []float64{1}); err == nil {
		t.Error("distribution loss accepted horizon weights")
	}
	if _, err := NewHorizonWeighted(MAE{}, []float64{1, -1}); err == nil {
		t.Error("negative horizon weight accepted")
	}
}
