package nbeatsx_test

import (
	"testing"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/internal/modeltest"
	"github.com/streamcast/streamcast/engine/models/nbeatsx"
)

// TestFitExogenous trains NBEATSx end to end through engine/train with
// future (identity and exogenous stacks) and historical exogenous
// variables (and a static one).
func TestFitExogenous(t *testing.T) {
	for _, role := range []string{"futr", "hist"} {
		modeltest.ExogLearning(t, role, func(futr, hist, stat []string) model.Model {
			h := nbeatsx.DefaultHyper(24, 6)
			h.MLPUnits = [][]int{{64, 64}}
			if len(futr) > 0 {
				h.StackTypes, h.NBlocks = []string{"identity", "exogenous", "trend", "seasonality"}, []int{1, 1, 1, 1}
			}
			h.FutrExog, h.HistExog, h.StatExog = futr, hist, stat
			m, err := nbeatsx.New(h)
			if err != nil {
				panic(err)
			}
			return m
		})
	}
}
