package nhits_test

import (
	"testing"

	"github.com/streamcast/streamcast/engine/models/internal/modeltest"
	"github.com/streamcast/streamcast/engine/models/nhits"
)

// TestGolden compares forward passes with PyTorch given the same weights
// (engine/models/testdata/gen_golden.py).
func TestGolden(t *testing.T) { modeltest.GoldenFile(t, "../testdata/nhits.json", nhits.Kind) }
