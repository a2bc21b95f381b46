package loss

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/streamcast/streamcast/engine/tensor"
)

func init() {
	distributionCase = func(t testing.TB, c lossCase) (Loss, func(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor) {
		fam, err := ParseFamily(c.Name)
		if err != nil {
			t.Fatal(err)
		}
		d, err := NewDistribution(fam, []float64{80, 90})
		if err != nil {
			t.Fatal(err)
		}
		loc, scale := c.Extra["loc"], c.Extra["scale"]
		return d, func(tp *tensor.Tape, yhat, y, mask *tensor.Tensor) *tensor.Tensor {
			return d.ForwardScaled(tp, yhat, y, mask, loc, scale)
		}
	}
}

type normalPred struct {
	Raw       []float32   `json:"raw"`
	Loc       []float32   `json:"loc"`
	Scale     []float32   `json:"scale"`
	Mean      []float64   `json:"mean"`
	Std       []float64   `json:"std"`
	DF        []float64   `json:"df"`
	TScale    []float64   `json:"tscale"`
	Quantiles [][]float64 `json:"quantiles"`
}

func TestDistributionPredictAgainstTorch(t *testing.T) {
	g := loadGolden(t)
	var np, sp normalPred
	if err := json.Unmarshal(g.Predict["normal"], &np); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(g.Predict["studentt"], &sp); err != nil {
		t.Fatal(err)
	}
	nd, _ := NewDistribution(Normal, []float64{80, 90})
	raw := tensor.FromSlice(np.Raw, 2, 2)
	pred := make([]float32, 2*6)
	nd.Predict(pred, raw, np.Loc, np.Scale)
	par := make([]float32, 4)
	nd.DecodeParams(par, raw, np.Loc, np.Scale)
	for i := range 2 {
		if !relClose(float64(pred[i*6]), np.Mean[i], 1e-6) || !relClose(float64(par[2*i+1]), np.Std[i], 1e-6) {
			t.Fatalf("normal %d: mean %v std %v, torch %v %v", i, pred[i*6], par[2*i+1], np.Mean[i], np.Std[i])
		}
		for j, want := range np.Quantiles[i] {
			if !relClose(float64(pred[i*6+1+j]), want, 1e-5) {
				t.Fatalf("normal %d quantile %d: %v, torch %v", i, j, pred[i*6+1+j], want)
			}
		}
	}
	sd, _ := NewDistribution(StudentT, []float64{80, 90})
	sraw := tensor.FromSlice(sp.Raw, 2, 3)
	spar := make([]float32, 6)
	sd.DecodeParams(spar, sraw, sp.Loc, sp.Scale)
	for i := range 2 {
		got := spar[3*i : 3*i+3]
		if !relClose(float64(got[0]), sp.DF[i], 1e-6) || !relClose(float64(got[1]), sp.Mean[i], 1e-6) || !relClose(float64(got[2]), sp.TScale[i], 1e-6) {
			t.Fatalf("studentt %d params %v, torch df %v loc %v scale %v", i, got, sp.DF[i], sp.Mean[i], sp.TScale[i])
		}
	}
	// Student-t quantiles: CDF round trip and textbook values.
	qs := sd.Quantiles()
	sq := make([]float32, 2*len(qs))
	if err := sd.QuantilesAt(sq, sraw, sp.Loc, sp.Scale, qs); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		dist := distuv.StudentsT{Mu: float64(spar[3*i+1]), Sigma: float64(spar[3*i+2]), Nu: float64(spar[3*i])}
		for j, q := range qs {
			if p := dist.CDF(float64(sq[i*len(qs)+j])); math.Abs(p-q) > 1e-5 {
				t.Fatalf("studentt %d: CDF(quantile(%v)) = %v", i, q, p)
			}
		}
	}
	for _, c := range []struct{ nu, q, want float64 }{{5, 0.95, 2.015048}, {10, 0.9, 1.372184}, {3, 0.05, -2.353363}} {
		if got := (distuv.StudentsT{Mu: 0, Sigma: 1, Nu: c.nu}).Quantile(c.q); math.Abs(got-c.want) > 1e-5 {
			t.Fatalf("t_%v(%v) = %v, want %v", c.nu, c.q, got, c.want)
		}
	}
}

func TestDistributionSamples(t *testing.T) {
	for _, fam := range []Family{Normal, StudentT} {
		d, _ := NewDistribution(fam, []float64{80})
		raw := tensor.New(1, d.Outputs())
		raw.Data[d.Outputs()-2] = 0.4 // raw loc
		raw.Data[d.Outputs()-1] = 0.3 // raw scale
		if fam == StudentT {
			raw.Data[0] = 1.5
		}
		loc, scale := []float32{2}, []float32{3}
		const ns = 40000
		a := make([]float32, ns)
		b := make([]float32, ns)
		if err := d.Sample(a, raw, loc, scale, ns, rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatal(err)
		}
		_ = d.Sample(b, raw, loc, scale, ns, rand.New(rand.NewPCG(1, 2)))
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%v: same seed, different samples", fam)
			}
		}
		pred := make([]float32, 4) // mean, q0.5, q0.1, q0.9
		d.Predict(pred, raw, loc, scale)
		mean := make([]float32, 1)
		d.Mean(mean, raw, loc, scale)
		if mean[0] != pred[0] || math.Abs(float64(mean[0])-(0.4*3+2)) > 1e-6 {
			t.Fatalf("%v: mean %v / %v", fam, mean[0], pred[0])
		}
		sort.Slice(a, func(i, j int) bool { return a[i] < a[j] })
		var s float64
		for _, v := range a {
			s += float64(v)
		}
		if math.Abs(s/ns-float64(pred[0])) > 0.05 {
			t.Errorf("%v: sample mean %v, exact %v", fam, s/ns, pred[0])
		}
		// Empirical median, 10% and 90% quantiles against the exact ones.
		for j, q := range []float64{0.5, 0.1, 0.9} {
			emp := a[int(q*ns)]
			if math.Abs(float64(emp-pred[1+j])) > 0.08 {
				t.Errorf("%v: empirical q%v %v, exact %v", fam, q, emp, pred[1+j])
			}
		}
	}
}

func TestDistributionNames(t *testing.T) {
	d, err := NewDistribution(StudentT, []float64{80, 90})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "-median", "-lo-90", "-lo-80", "-hi-80", "-hi-90"}
	got := d.OutputNames()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("OutputNames %v", got)
		}
	}
	if _, err := ParseFamily("Poisson"); err == nil {
		t.Error("Poisson accepted")
	}
	if _, err := NewDistribution(Family(9), nil); err == nil {
		t.Error("unknown family accepted")
	}
	if err := d.Sample(make([]float32, 1), tensor.New(1, 3), nil, nil, 1, nil); err == nil {
		t.Error("nil rng accepted")
	}
}

func TestDistributionForwardNoAllocs(t *testing.T) {
	for _, fam := range []Family{Normal, StudentT} {
		d, _ := NewDistribution(fam, []float64{80, 90})
		y := tensor.RandN(1, 16, 12)
		yhat := tensor.RandN(2, 16, 12, d.Outputs())
		yhat.SetRequiresGrad(true)
		loc, scale := make([]float32, 16), make([]float32, 16)
		for i := range scale {
			scale[i] = 1 + float32(i)/16
		}
		tp := tensor.NewTape()
		run := func() {
			tp.Reset()
			yhat.ZeroGrad()
			tp.Backward(d.ForwardScaled(tp, yhat, y, nil, loc, scale))
		}
		run()
		if n := testing.AllocsPerRun(20, run); n > 1 {
			t.Errorf("%v: %v allocations per training step", fam, n)
		}
		pred := make([]float32, 16*12*6)
		p := func() { d.Predict(pred, yhat, loc, scale) }
		if n := testing.AllocsPerRun(5, p); n != 0 {
			t.Errorf("%v: Predict allocates %v times", fam, n)
		}
	}
}

func TestForwardAnchoredAgainstTorch(t *testing.T) {
	b, err := os.ReadFile("testdata/losses.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Cases []struct {
			lossCase
			ExtraGrad map[string][]float64 `json:"extra_grad"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range g.Cases {
		fam, err := ParseFamily(c.Name)
		if err != nil {
			continue
		}
		n++
		d, _ := NewDistribution(fam, nil)
		y := tensor.FromSlice(c.Y, 3, 4)
		yhat := tensor.FromSlice(append([]float32(nil), c.Yhat...), 3, 4, c.Outputs)
		yhat.SetRequiresGrad(true)
		var mask *tensor.Tensor
		if c.Mask != nil {
			mask = tensor.FromSlice(c.Mask, 3, 4)
		}
		loc := tensor.FromSlice(append([]float32(nil), c.Extra["loc"]...), 3)
		scale := tensor.FromSlice(append([]float32(nil), c.Extra["scale"]...), 3)
		loc.SetRequiresGrad(true)
		scale.SetRequiresGrad(true)
		tp := tensor.NewTape()
		out := d.ForwardAnchored(tp, yhat, y, mask, loc, scale)
		if !relClose(float64(out.Data[0]), c.Loss, 1e-5) {
			t.Fatalf("%s: loss %v, torch %v", c.Name, out.Data[0], c.Loss)
		}
		tp.Backward(out)
		for name, tt := range map[string]*tensor.Tensor{"loc": loc, "scale": scale} {
			for i, want := range c.ExtraGrad[name] {
				if !relClose(float64(tt.Grad[i]), want, 1e-5) {
					t.Fatalf("%s: grad %s[%d] = %v, torch %v", c.Name, name, i, tt.Grad[i], want)
				}
			}
		}
		err = tensor.GradCheck(func(tp *tensor.Tape, in []*tensor.Tensor) *tensor.Tensor {
			return d.ForwardAnchored(tp, in[0], y, mask, in[1], in[2])
		}, []*tensor.Tensor{yhat, loc, scale}, tensor.GradCheckOptions{Eps: 1e-3, ATol: 1e-4})
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
	}
	if n == 0 {
		t.Fatal("no distribution goldens")
	}
}
