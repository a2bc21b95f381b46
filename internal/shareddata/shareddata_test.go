package shareddata

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/streamcast/streamcast/internal/demodata"
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

// TestETTh1FallsBackToEmbedded: without shared/data, ETTh1 is the copy
// embedded in the binary (written to a temporary file), so ETTh1 tests run
// instead of skipping; with shared/data it is the shared file.
func TestETTh1FallsBackToEmbedded(t *testing.T) {
	if data, ok := Find(); ok {
		if got := ETTh1(t); got != filepath.Join(data, "etth1", "ETTh1.csv") {
			t.Fatalf("ETTh1 = %q with shared data at %s", got, data)
		}
	}
	t.Chdir(t.TempDir()) // no shared/data above
	if _, ok := Find(); ok {
		t.Skip("shared/data above the temporary directory")
	}
	p := ETTh1(t)
	if filepath.Base(filepath.Dir(p)) != "etth1" {
		t.Fatalf("fallback %s is not laid out like shared/data/etth1/ETTh1.csv", p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, demodata.ETTh1CSV()) || !bytes.HasPrefix(b, []byte("date,HUFL,HULL,MUFL,MULL,LUFL,LULL,OT\n")) || bytes.Count(b, []byte("\n")) != 17421 {
		t.Fatalf("fallback file: %d bytes, %d lines", len(b), bytes.Count(b, []byte("\n")))
	}
}
