package pipeline

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/streamcast/streamcast/engine/forecast"
	"github.com/streamcast/streamcast/engine/model"
)

func benchNeural(b *testing.B, lossName string, batch int) {
	d := demoTraining{Kind: "mlp", Loss: lossName, InputSize: 168, Horizon: 24, Seed: 1}
	hyper, err := d.hyper(true)
	if err != nil {
		b.Fatal(err)
	}
	m, err := model.New("mlp", hyper)
	if err != nil {
		b.Fatal(err)
	}
	n, err := NewNeural(m, "v", time.Hour, NeuralInputs{})
	if err != nil {
		b.Fatal(err)
	}
	hist := make([][]float64, batch)
	last := make([]time.Time, batch)
	for i := range hist {
		hist[i] = make([]float64, n.InputSize())
		for j := range hist[i] {
			hist[i][j] = float64(j%24) + float64(i)
		}
		last[i] = time.Date(2026, 1, 1, i%24, 0, 0, 0, time.UTC)
	}
	nq := len(n.Quantiles())
	dst := make([]float64, batch*24)
	var q []float64
	if nq > 0 {
		q = make([]float64, batch*24*nq)
	}
	_ = json.Valid
	if err := n.ForecastAt(dst, q, &forecast.Windows{Values: hist, Last: last}, 24); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := n.ForecastAt(dst, q, &forecast.Windows{Values: hist, Last: last}, 24); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNeuralForecastAt(b *testing.B) {
	for _, c := range []struct {
		name, loss string
		batch      int
	}{{"mae/1", "mae", 1}, {"mqloss/1", "mqloss", 1}, {"mae/32", "mae", 32}, {"mqloss/32", "mqloss", 32}} {
		b.Run(c.name, func(b *testing.B) { benchNeural(b, c.loss, c.batch) })
	}
}
