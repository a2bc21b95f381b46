package nlinear_test

import (
	"testing"

	"github.com/streamcast/streamcast/engine/models/internal/modeltest"
	"github.com/streamcast/streamcast/engine/models/nlinear"
)

// TestETTh1 is the CI variant of NLinear's accuracy check: published MSE
// 0.374 / MAE 0.394 (h 96, input 336; LTSF-Linear); the shortened
// schedule measured 0.3755 / 0.3946, and must stay within 5% of the
// published figures. Full run: streamcast eval --benchmark etth1 --model
// nlinear (measured 0.368 / 0.386, see README).
func TestETTh1(t *testing.T) {
	modeltest.ETTh1Short(t, nlinear.Kind, 0.374*1.05, 0.394*1.05)
}
