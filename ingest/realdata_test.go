package ingest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/streamcast/streamcast/internal/shareddata"
)

// ETTh1 (wide) becomes 7 hourly series without gaps; written in each long
// format and read back it is the same frame.
func TestETTh1WideRoundTrip(t *testing.T) {
	path := shareddata.File(t, "etth1", "ETTh1.csv")
	f, rep, err := Load(path, LoadOptions{Format: FormatWide})
	if err != nil {
		t.Fatal(err)
	}
	if f.NumSeries() != 7 || f.Len() != 7*17420 || f.IDs[6] != "OT" || f.Freq != (Freq{Step: 3_600_000}) || rep.Gaps.Gaps != 0 || rep.Gaps.OffGrid != 0 {
		t.Fatalf("series %v rows %d freq %v gaps %+v", f.IDs, f.Len(), f.Freq, rep.Gaps)
	}
	ot := f.Series(6, nil)
	if ot.Y[0] != 30.5310001373291 || f.FormatTime(ot.Time[0]) != "2016-07-01T00:00:00Z" || f.FormatTime(ot.Time[17419]) != "2018-06-26T19:00:00Z" {
		t.Fatalf("OT starts %v at %s, ends %s", ot.Y[0], f.FormatTime(ot.Time[0]), f.FormatTime(ot.Time[17419]))
	}
	// The existing single-column reader agrees.
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	old, err := ReadWideColumn(fh, "OT")
	fh.Close()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range old.Series[0].Y {
		if ot.Y[i] != v {
			t.Fatalf("OT[%d] = %v, ReadWideColumn %v", i, ot.Y[i], v)
		}
	}
	dir := t.TempDir()
	for _, format := range []string{FormatCSV, FormatJSONL, FormatParquet} {
		long := filepath.Join(dir, "etth1."+format)
		if err := WriteFrameFile(long, f, format, LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		g, _, err := Load(long, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sameFrame(t, format, g, f)
	}
}

// M4 Hourly: 414 series of 700 or 960 values, integer time; the test file
// continues each series.
func TestM4Hourly(t *testing.T) {
	trainPath := shareddata.File(t, "m4-hourly", "Hourly-train.csv")
	testPath := shareddata.File(t, "m4-hourly", "Hourly-test.csv")
	train, _, err := Load(trainPath, LoadOptions{Format: FormatM4})
	if err != nil {
		t.Fatal(err)
	}
	if train.NumSeries() != 414 || train.Len() != 353500 || train.TimeKind != TimeInt || train.IDs[0] != "H1" {
		t.Fatalf("train: %d series, %d rows, %v", train.NumSeries(), train.Len(), train.TimeKind)
	}
	fh, err := os.Open(testPath)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	test, err := ReadM4After(fh, testPath, train)
	if err != nil {
		t.Fatal(err)
	}
	if test.NumSeries() != 414 || test.Len() != 19872 {
		t.Fatalf("test: %d series, %d rows", test.NumSeries(), test.Len())
	}
	for i := range train.IDs {
		tr, te := train.Series(i, nil), test.Series(i, nil)
		if te.ID != tr.ID || te.Time[0] != tr.Time[len(tr.Time)-1]+1 || len(te.Y) != 48 {
			t.Fatalf("series %s: test starts at %d after train ends at %d", te.ID, te.Time[0], tr.Time[len(tr.Time)-1])
		}
	}
	if err := test.Validate(); err != nil {
		t.Fatal(err)
	}
}
