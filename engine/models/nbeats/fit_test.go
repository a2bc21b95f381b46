package nbeats_test

import (
	"testing"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/models/internal/modeltest"
	"github.com/streamcast/streamcast/engine/models/nbeats"
)

// TestFitMQLoss trains NBEATS's three output channels (identity, trend and
// seasonality bases per channel) with MQLoss.
func TestFitMQLoss(t *testing.T) {
	h := nbeats.DefaultHyper(48, 12)
	h.MLPUnits = [][]int{{64, 64}}
	h.Loss = &loss.Config{Name: "MQLoss", Level: []float64{80}}
	m, err := nbeats.New(h)
	if err != nil {
		t.Fatal(err)
	}
	modeltest.MQLossCoverage(t, m)
}
