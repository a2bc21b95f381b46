package loss

import (
	"encoding/json"
	"testing"

	"github.com/streamcast/streamcast/engine/tensor"
)

func TestConfig(t *testing.T) {
	cases := []struct {
		json    string
		name    string
		outputs int
		bad     bool
	}{
		{`{}`, "MAE", 1, false},
		{`{"name":"MSE"}`, "MSE", 1, false},
		{`{"name":"RMSE"}`, "RMSE", 1, false},
		{`{"name":"HuberLoss","delta":0.5}`, "HuberLoss", 1, false},
		{`{"name":"HuberLoss","delta":-1}`, "", 0, true},
		{`{"name":"QuantileLoss","q":0.9}`, "QuantileLoss", 1, false},
		{`{"name":"QuantileLoss","q":1.5}`, "", 0, true},
		{`{"name":"MQLoss"}`, "MQLoss", 5, false},
		{`{"name":"MQLoss","level":[95]}`, "MQLoss", 3, false},
		{`{"name":"MQLoss","quantiles":[0.1,0.5,0.9,0.99]}`, "MQLoss", 4, false},
		{`{"name":"MQLoss","level":[120]}`, "", 0, true},
		{`{"name":"DistributionLoss"}`, "DistributionLoss", 2, false},
		{`{"name":"DistributionLoss","distribution":"StudentT"}`, "DistributionLoss", 3, false},
		{`{"name":"DistributionLoss","distribution":"Tweedie"}`, "", 0, true},
		{`{"name":"sCRPS"}`, "", 0, true},
	}
	for _, c := range cases {
		var cfg Config
		if err := json.Unmarshal([]byte(c.json), &cfg); err != nil {
			t.Fatal(err)
		}
		l, err := cfg.New()
		if c.bad {
			if err == nil || cfg.Validate() == nil {
				t.Errorf("%s: accepted", c.json)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.json, err)
			continue
		}
		if l.Name() != c.name || l.Outputs() != c.outputs {
			t.Errorf("%s: got %s with %d outputs", c.json, l.Name(), l.Outputs())
		}
	}
}

func TestShapeMismatchPanics(t *testing.T) {
	mq, _ := NewMQLoss([]float64{80})
	d, _ := NewDistribution(StudentT, nil)
	cases := []struct {
		name string
		f    func()
	}{
		{"MAE yhat", func() { MAE{}.Forward(tensor.NewTape(), tensor.New(3), tensor.New(4), nil) }},
		{"MSE mask", func() { MSE{}.Forward(tensor.NewTape(), tensor.New(4), tensor.New(4), tensor.New(3)) }},
		{"MQLoss outputs", func() { mq.Forward(tensor.NewTape(), tensor.New(4, 2), tensor.New(4), nil) }},
		{"StudentT loc", func() {
			d.ForwardScaled(tensor.NewTape(), tensor.New(4, 3), tensor.New(4), nil, make([]float32, 3), nil)
		}},
		{"Predict dst", func() { d.Predict(make([]float32, 3), tensor.New(2, 3), nil, nil) }},
	}
	for _, c := range cases {
		func() {
			defer func() {
				r := recover()
				if r == nil {
					t.Errorf("%s: no panic", c.name)
					return
				}
				if s, ok := r.(string); !ok || len(s) < 10 {
					t.Errorf("%s: unclear panic %v", c.name, r)
				}
			}()
			c.f()
		}()
	}
}

func TestParseFlag(t *testing.T) {
	for _, tc := range []struct {
		name    string
		outputs int
		want    string
	}{
		{"mae", 1, "MAE"}, {"MSE", 1, "MSE"}, {"huber", 1, "HuberLoss"}, {"HuberLoss", 1, "HuberLoss"},
		{"mqloss", 5, "MQLoss"}, {"normal", 2, "DistributionLoss"}, {"studentt", 3, "DistributionLoss"},
	} {
		c, err := ParseFlag(tc.name, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		l, err := c.New()
		if err != nil || l.Name() != tc.want || l.Outputs() != tc.outputs {
			t.Errorf("%s: %v outputs %d, %v", tc.name, l, l.Outputs(), err)
		}
	}
	c, err := ParseFlag("mqloss", []float64{50})
	if l, _ := c.New(); err != nil || l.Outputs() != 3 {
		t.Fatalf("mqloss at level 50: %v", err)
	}
	for _, bad := range []string{"quantile", "l1"} {
		if _, err := ParseFlag(bad, nil); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if _, err := ParseFlag("normal", []float64{120}); err == nil {
		t.Error("level 120: no error")
	}
}
