package modeltest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/streamcast/streamcast/engine/evaluate"
	"github.com/streamcast/streamcast/internal/shareddata"
)

// M4Run trains and scores o on M4 Hourly (engine/evaluate's protocol),
// skipping t without the shared data.
func M4Run(t *testing.T, o evaluate.Options) evaluate.Result {
	t.Helper()
	d, err := evaluate.LoadM4Hourly(filepath.Dir(shareddata.File(t, "m4-hourly", "Hourly-train.csv")))
	if err != nil {
		t.Fatal(err)
	}
	r, err := evaluate.RunM4Hourly(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("M4 Hourly, %s input %d (seed %d, %d steps in %v): sMAPE %.3f MASE %.3f OWA %.4f (sNaive 13.912 / 1.193 / 0.627)",
		r.Model, r.InputSize, r.Seed, r.Steps, r.TrainTime, r.SMAPE, r.MASE, r.OWA)
	return r
}

// ETTh1Run trains and scores o on ETTh1 (engine/evaluate's protocol; the
// embedded copy of ETTh1 without the shared data).
func ETTh1Run(t *testing.T, o evaluate.Options) evaluate.Result {
	t.Helper()
	d, err := evaluate.LoadETTh1(filepath.Dir(shareddata.ETTh1(t)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := evaluate.RunETTh1(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ETTh1 h=%d, %s input %d (seed %d, %d steps in %v): MSE %.4f MAE %.4f (repeat-last-value 1.295 / 0.713)",
		r.H, r.Model, r.InputSize, r.Seed, r.Steps, r.TrainTime, r.MSE, r.MAE)
	return r
}

// Full skips t unless the full-length accuracy runs were asked for
// (STREAMCAST_ACCURACY_FULL=1).
func Full(t *testing.T) {
	t.Helper()
	if os.Getenv("STREAMCAST_ACCURACY_FULL") == "" {
		t.Skip("set STREAMCAST_ACCURACY_FULL=1 for the full-length accuracy run (minutes on 2 cores)")
	}
}

// Seed returns STREAMCAST_ACCURACY_SEED (default 1): the random_seed of
// the model and of training in the full accuracy runs.
func Seed(t *testing.T) uint64 {
	t.Helper()
	s := os.Getenv("STREAMCAST_ACCURACY_SEED")
	if s == "" {
		return 1
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		t.Fatalf("STREAMCAST_ACCURACY_SEED=%q: want a positive integer", s)
	}
	return v
}
