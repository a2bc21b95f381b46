package demodata_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/streamcast/streamcast/internal/demodata"
	"github.com/streamcast/streamcast/internal/shareddata"
)

// TestETTh1EmbeddedUnmodified: the bundled file is byte-for-byte the shared
// copy (CC BY-ND 4.0 allows only unmodified redistribution). It needs the
// shared original, so it is the one ETTh1 test that skips without it.
func TestETTh1EmbeddedUnmodified(t *testing.T) {
	b, err := os.ReadFile(shareddata.File(t, "etth1", "ETTh1.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, demodata.ETTh1CSV()) {
		t.Fatal("embedded ETTh1.csv differs from the shared original")
	}
}
