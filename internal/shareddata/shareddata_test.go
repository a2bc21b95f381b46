package shareddata

import (
	"path/filepath"
	"testing"
)

func TestFileSkipsOrFinds(t *testing.T) {
	t.Run("missing file skips", func(t *testing.T) {
		File(t, "no-such-dataset", "x.csv")
		t.Fatal("File returned for a file that does not exist")
	})
	data, ok := Find()
	if !ok {
		t.Skip("shared/data not found above the test directory")
	}
	if got := File(t, "etth1"); got != filepath.Join(data, "etth1") {
		t.Fatalf("File = %q, want %q", got, filepath.Join(data, "etth1"))
	}
}
