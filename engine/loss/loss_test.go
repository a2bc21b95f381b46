package loss

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/streamcast/streamcast/engine/tensor"
)

type lossCase struct {
	Name    string               `json:"name"`
	Param   json.RawMessage      `json:"param"`
	Outputs int                  `json:"outputs"`
	Y       []float32            `json:"y"`
	Yhat    []float32            `json:"yhat"`
	Mask    []float32            `json:"mask"`
	Extra   map[string][]float32 `json:"extra"`
	Loss    float64              `json:"loss"`
	Grad    []float64            `json:"grad"`
}

type lossGolden struct {
	Cases   []lossCase                 `json:"cases"`
	Predict map[string]json.RawMessage `json:"predict"`
}

func loadGolden(t testing.TB) *lossGolden {
	t.Helper()
	b, err := os.ReadFile("testdata/losses.json")
	if err != nil {
		t.Fatal(err)
	}
	var g lossGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

// forwardFunc builds the loss of a golden case as a function of the tape and prediction.
func forwardFunc(t testing.TB, c lossCase) (Loss, func(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor) {
	t.Helper()
	var l Loss
	var err error
	switch c.Name {
	case "MAE":
		l = MAE{}
	case "MSE":
		l = MSE{}
	case "RMSE":
		l = RMSE{}
	case "MAPE":
		l = MAPE{}
	case "SMAPE":
		l = SMAPE{}
	case "HuberLoss":
		var d float64
		_ = json.Unmarshal(c.Param, &d)
		l, err = NewHuber(d)
	case "QuantileLoss":
		var q float64
		_ = json.Unmarshal(c.Param, &q)
		l, err = NewQuantile(q)
	case "MQLoss":
		var lv []float64
		_ = json.Unmarshal(c.Param, &lv)
		l, err = NewMQLoss(lv)
	default:
		if distributionCase == nil {
			return nil, nil
		}
		return distributionCase(t, c)
	}
	if err != nil {
		t.Fatal(err)
	}
	return l, l.Forward
}

// distributionCase is set by the distribution tests.
var distributionCase func(t testing.TB, c lossCase) (Loss, func(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor)

func relClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func TestAgainstTorch(t *testing.T) {
	g := loadGolden(t)
	for i, c := range g.Cases {
		l, f := forwardFunc(t, c)
		if l == nil {
			continue
		}
		if l.Outputs() != c.Outputs {
			t.Fatalf("case %d %s: Outputs %d, torch layout %d", i, c.Name, l.Outputs(), c.Outputs)
		}
		y := tensor.FromSlice(c.Y, 3, 4)
		yhat := tensor.FromSlice(append([]float32(nil), c.Yhat...), 3, 4, c.Outputs)
		yhat.SetRequiresGrad(true)
		var mask *tensor.Tensor
		if c.Mask != nil {
			mask = tensor.FromSlice(c.Mask, 3, 4)
		}
		tp := tensor.NewTape()
		out := f(tp, yhat, y, mask)
		if !relClose(float64(out.Data[0]), c.Loss, 1e-5) {
			t.Errorf("case %d %s %s: loss %.8g, torch %.8g", i, c.Name, c.Param, out.Data[0], c.Loss)
			continue
		}
		tp.Backward(out)
		for j, want := range c.Grad {
			if !relClose(float64(yhat.Grad[j]), want, 1e-5) {
				t.Errorf("case %d %s %s: grad[%d] %.8g, torch %.8g", i, c.Name, c.Param, j, yhat.Grad[j], want)
				break
			}
		}
	}
}

func TestGradCheck(t *testing.T) {
	g := loadGolden(t)
	for i, c := range g.Cases {
		l, f := forwardFunc(t, c)
		if l == nil {
			continue
		}
		y := tensor.FromSlice(c.Y, 3, 4)
		yhat := tensor.FromSlice(append([]float32(nil), c.Yhat...), 3, 4, c.Outputs)
		yhat.SetRequiresGrad(true)
		var mask *tensor.Tensor
		if c.Mask != nil {
			mask = tensor.FromSlice(c.Mask, 3, 4)
		}
		// Keep residuals away from the kinks of |·|, Huber and pinball.
		for j := range yhat.Data {
			d := yhat.Data[j] - y.Data[j/c.Outputs]
			if math.Abs(float64(d)) < 0.05 {
				yhat.Data[j] += 0.1
			}
			if c.Name == "HuberLoss" {
				var delta float64
				_ = json.Unmarshal(c.Param, &delta)
				if math.Abs(math.Abs(float64(d))-delta) < 0.05 {
					yhat.Data[j] += 0.1
				}
			}
		}
		err := tensor.GradCheck(func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
			return f(tp, in[0], y, mask)
		}, []*tensor.Tensor{yhat}, tensor.GradCheckOptions{Eps: 1e-3, ATol: 1e-4})
		if err != nil {
			t.Errorf("case %d %s %s: %v", i, c.Name, c.Param, err)
		}
	}
}

func TestLevelQuantiles(t *testing.T) {
	qs, names, err := LevelQuantiles([]float64{80, 90})
	if err != nil {
		t.Fatal(err)
	}
	wantQ := []float64{0.5, 0.05, 0.1, 0.9, 0.95}
	wantN := []string{"-median", "-lo-90", "-lo-80", "-hi-80", "-hi-90"}
	for i := range wantQ {
		if math.Abs(qs[i]-wantQ[i]) > 1e-12 || names[i] != wantN[i] {
			t.Fatalf("LevelQuantiles = %v %v, want %v %v", qs, names, wantQ, wantN)
		}
	}
	if _, _, err := LevelQuantiles([]float64{100}); err == nil {
		t.Error("level 100 accepted")
	}
	n := QuantileNames([]float64{0.1, 0.5, 0.975})
	if n[0] != "-lo-80" || n[1] != "-median" || n[2] != "-hi-95" {
		t.Errorf("QuantileNames = %v", n)
	}
}

func TestConstructorErrors(t *testing.T) {
	if _, err := NewHuber(0); err == nil {
		t.Error("Huber delta 0 accepted")
	}
	if _, err := NewQuantile(1); err == nil {
		t.Error("quantile 1 accepted")
	}
	if _, err := NewMQLossQuantiles(nil); err == nil {
		t.Error("empty quantiles accepted")
	}
	if _, err := NewMQLossQuantiles([]float64{0.2, math.NaN()}); err == nil {
		t.Error("NaN quantile accepted")
	}
}

func TestMaskedNaNTargetsIgnored(t *testing.T) {
	y := tensor.FromSlice([]float32{1, float32(math.NaN()), 3}, 3)
	mask := tensor.FromSlice([]float32{1, 0, 1}, 3)
	yhat := tensor.FromSlice([]float32{2, 5, 1}, 3)
	yhat.SetRequiresGrad(true)
	tp := tensor.NewTape()
	out := MAE{}.Forward(tp, yhat, y, mask)
	if out.Data[0] != 1.5 {
		t.Fatalf("MAE = %v, want 1.5", out.Data[0])
	}
	tp.Backward(out)
	if yhat.Grad[0] != 0.5 || yhat.Grad[1] != 0 || yhat.Grad[2] != -0.5 {
		t.Fatalf("grad = %v", yhat.Grad)
	}
}

func TestForwardNoAllocs(t *testing.T) {
	y := tensor.RandN(1, 32, 12)
	mask := tensor.New(32, 12)
	for i := range mask.Data {
		mask.Data[i] = 1
	}
	mq, _ := NewMQLoss([]float64{80, 90})
	h, _ := NewHuber(1)
	losses := []Loss{MAE{}, MSE{}, RMSE{}, h, mq}
	for _, l := range losses {
		yhat := tensor.RandN(2, 32, 12, l.Outputs())
		yhat.SetRequiresGrad(true)
		tp := tensor.NewTape()
		run := func() {
			tp.Reset()
			yhat.ZeroGrad()
			tp.Backward(l.Forward(tp, yhat, y, mask))
		}
		run()
		// One closure per recorded backward step is the only allowed allocation.
		if n := testing.AllocsPerRun(20, run); n > 1 {
			t.Errorf("%s: %v allocations per training step", l.Name(), n)
		}
		itp := tensor.NewInferenceTape()
		inf := func() { itp.Reset(); l.Forward(itp, yhat, y, mask) }
		inf()
		if n := testing.AllocsPerRun(20, inf); n != 0 {
			t.Errorf("%s: %v allocations per inference call", l.Name(), n)
		}
	}
}
