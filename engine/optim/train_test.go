package optim_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/nn"
	"github.com/streamcast/streamcast/engine/optim"
	"github.com/streamcast/streamcast/engine/scaler"
	"github.com/streamcast/streamcast/engine/tensor"
)

// TestTrainingAgainstTorch runs ten NeuralForecast-style training steps
// (scaler, MLP, masked MAE, Adam, clipping, StepLR) and compares losses,
// gradient norms and final weights with PyTorch (testdata/gen_train.py).
func TestTrainingAgainstTorch(t *testing.T) {
	b, err := os.ReadFile("testdata/train.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		B, L, H int
		X, Y    []float32
		Mask    []float32
		Init    map[string][]float32
		Losses  []float64
		Norms   []float64
		Final   map[string][]float64
		LR      float64
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	mlp, err := nn.NewMLP([]int{g.L, 16, 16, g.H}, tensor.ReLU, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	ps := mlp.Params()
	if err := nn.LoadStateDict(ps, g.Init, true); err != nil {
		t.Fatal(err)
	}
	params := nn.Tensors(ps)
	cfg := optim.DefaultAdam()
	cfg.LR = 1e-2
	opt, err := optim.NewAdam(params, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sched, err := optim.NewNFStepLR(opt, 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := scaler.New(scaler.Standard, 1)
	loc, scale := make([]float32, g.B), make([]float32, g.B)
	sc.Fit(loc, scale, g.X, nil, g.B, g.L)
	ys := append([]float32(nil), g.Y...)
	scaler.ScaleValues(ys, loc, scale)
	y := tensor.FromSlice(ys, g.B, g.H)
	mask := tensor.FromSlice(g.Mask, g.B, g.H)
	x := tensor.FromSlice(g.X, g.B, g.L)
	tp := tensor.NewTape()
	for step, want := range g.Losses {
		opt.ZeroGrad()
		tp.Reset()
		out := mlp.Forward(tp, sc.Transform(tp, x, loc, scale))
		l := loss.MAE{}.Forward(tp, out, y, mask)
		tp.Backward(l)
		norm := optim.ClipGradNorm(params, 0.25)
		opt.Step()
		sched.Step()
		if math.Abs(float64(l.Data[0])-want) > 1e-5*want {
			t.Fatalf("step %d: loss %.8g, torch %.8g", step, l.Data[0], want)
		}
		if math.Abs(norm-g.Norms[step]) > 1e-4*g.Norms[step] {
			t.Fatalf("step %d: grad norm %.8g, torch %.8g", step, norm, g.Norms[step])
		}
	}
	if opt.LR() != g.LR {
		t.Fatalf("final lr %g, torch %g", opt.LR(), g.LR)
	}
	for _, p := range ps {
		for i, v := range p.T.Data {
			if w := g.Final[p.Name][i]; math.Abs(float64(v)-w) > 1e-5*math.Max(1, math.Abs(w)) {
				t.Fatalf("%s[%d] = %.8g, torch %.8g", p.Name, i, v, w)
			}
		}
	}
}
