package nhits_test

import (
	"testing"

	"github.com/streamcast/streamcast/engine/loss"
	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/internal/modeltest"
	"github.com/streamcast/streamcast/engine/models/nhits"
)

func fitHyper(futr, hist, stat []string) model.Model {
	h := nhits.DefaultHyper(24, 6)
	h.MLPUnits = [][]int{{64, 64}}
	h.FutrExog, h.HistExog, h.StatExog = futr, hist, stat
	m, err := nhits.New(h)
	if err != nil {
		panic(err)
	}
	return m
}

// TestFitExogenous trains NHITS end to end through engine/train with future
// and historical exogenous variables (and a static one).
func TestFitExogenous(t *testing.T) {
	for _, role := range []string{"futr", "hist"} {
		modeltest.ExogLearning(t, role, fitHyper)
	}
}

// TestFitMQLoss trains NHITS's three output channels with MQLoss.
func TestFitMQLoss(t *testing.T) {
	h := nhits.DefaultHyper(48, 12)
	h.MLPUnits = [][]int{{64, 64}}
	h.Loss = &loss.Config{Name: "MQLoss", Level: []float64{80}}
	m, err := nhits.New(h)
	if err != nil {
		t.Fatal(err)
	}
	modeltest.MQLossCoverage(t, m)
}
