package modeltest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/streamcast/streamcast/engine/evaluate"
	"github.com/streamcast/streamcast/engine/train"
	"github.com/streamcast/streamcast/internal/shareddata"
)

// ETTh1Short is the CI variant of a model's ETTh1 accuracy check (the full
// run is `streamcast eval --benchmark etth1 --model KIND`): h 96, input 336,
// the seven columns channel-independent, trained for a shortened schedule
// (300 steps of 256 windows, Adam 3e-3 halved three times) instead of the
// kind's defaults, scored on every test window. It requires the test MSE
// and MAE to be at most maxMSE and maxMAE and far below the
// repeat-last-value forecast (MSE 1.2944); without the shared data it runs
// on the embedded copy of ETTh1 (shareddata.ETTh1).
func ETTh1Short(t *testing.T, kind string, maxMSE, maxMAE float64) evaluate.Result {
	t.Helper()
	d, err := evaluate.LoadETTh1(filepath.Dir(shareddata.ETTh1(t)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := evaluate.RunETTh1(context.Background(), d, evaluate.Options{Kind: kind, H: 96, InputSize: 336, Seed: 1,
		Train: func(c *train.Config) {
			c.MaxSteps, c.WindowsBatchSize, c.LearningRate, c.NumLRDecays = 300, 256, 3e-3, 3
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s ETTh1 h=96 L=336, %d steps in %v: MSE %.4f MAE %.4f (bounds %.3f / %.3f)", kind, r.Steps, r.TrainTime, r.MSE, r.MAE, maxMSE, maxMAE)
	if r.Windows != 2785 || r.Series != 7 {
		t.Fatalf("scored %d windows of %d series, want 2785 of 7", r.Windows, r.Series)
	}
	if !(r.MSE <= maxMSE && r.MAE <= maxMAE) {
		t.Errorf("%s ETTh1: MSE %.4f MAE %.4f, want at most %.3f / %.3f", kind, r.MSE, r.MAE, maxMSE, maxMAE)
	}
	return r
}
