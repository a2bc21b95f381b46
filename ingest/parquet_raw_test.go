package ingest

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
)

// pqOptRow has nullable columns (definition levels); null marks missing
// values.
type pqOptRow struct {
	ID    string    `parquet:"unique_id,dict"`
	DS    time.Time `parquet:"ds,timestamp(microsecond)"`
	Y     *float64  `parquet:"y,optional"`
	Promo *int64    `parquet:"promo,optional"`
}

// pqReqRow has required columns, y dictionary-encoded and a DATE ds.
type pqReqRow struct {
	ID   string  `parquet:"unique_id"`
	DS   int32   `parquet:"ds,date"`
	Y    float64 `parquet:"y,dict"`
	Temp float32 `parquet:"temp"`
}

func writePQ[T any](t *testing.T, path string, rows []T, opts ...parquet.WriterOption) {
	t.Helper()
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](fh, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
}

// readBoth reads path with the raw path and with the generic page reader
// only, and fails unless both give the same frame or the same error.
func readBoth(t *testing.T, path string, workers int) (*Frame, error) {
	t.Helper()
	var frames [2]*Frame
	var errs [2]error
	for i, raw := range []bool{false, true} {
		fh, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := fh.Stat()
		frames[i], errs[i] = readParquet(fh, path, st.Size(), &LoadOptions{Workers: workers}, true, raw)
		fh.Close()
	}
	if (errs[0] == nil) != (errs[1] == nil) || (errs[0] != nil && errs[0].Error() != errs[1].Error()) {
		t.Fatalf("%s: generic error %v, raw error %v", filepath.Base(path), errs[0], errs[1])
	}
	var re0, re1 *RowError
	if errors.As(errs[0], &re0) != errors.As(errs[1], &re1) || (re0 != nil && *re0 != *re1) {
		t.Fatalf("%s: row errors %+v and %+v", filepath.Base(path), re0, re1)
	}
	if errs[0] == nil && !reflect.DeepEqual(frames[0], frames[1]) {
		t.Fatalf("%s: frames differ", filepath.Base(path))
	}
	return frames[1], errs[1]
}

// The raw path gives exactly what the generic page reader gives, on the
// files it decodes itself and on those it declines, errors included.
func TestParquetRawMatchesGeneric(t *testing.T) {
	dir := t.TempDir()
	codecs := map[string]compress.Codec{"none": &parquet.Uncompressed, "snappy": &parquet.Snappy, "zstd": &parquet.Zstd}
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(nulls, nan bool) []pqOptRow {
		var rows []pqOptRow
		for s, id := range []string{"a", "b", "c"} {
			for k := range 3000 {
				y := float64(s*1000+k) / 8
				p := int64(k % 2)
				r := pqOptRow{ID: id, DS: start.Add(time.Duration(k) * time.Hour), Y: &y, Promo: &p}
				if nulls && s == 1 && k == 2500 {
					r.Y = nil
				}
				if nan && s == 2 && k == 17 {
					r.Y = new(math.NaN())
				}
				rows = append(rows, r)
			}
		}
		return rows
	}
	n := 0
	for codec, cc := range codecs {
		for _, version := range []int{1, 2} {
			for _, c := range []struct {
				name      string
				nulls     bool
				nan       bool
				wantErr   bool
				wantRows  int
				wantExogs int
			}{{"clean", false, false, false, 9000, 1}, {"null", true, false, true, 0, 0}, {"nan", false, true, true, 0, 0}} {
				path := filepath.Join(dir, c.name+codec+string(rune('0'+version))+".parquet")
				writePQ(t, path, mk(c.nulls, c.nan), parquet.Compression(cc), parquet.DataPageVersion(version),
					parquet.PageBufferSize(4096), parquet.MaxRowsPerRowGroup(2000))
				for _, workers := range []int{1, 3} {
					f, err := readBoth(t, path, workers)
					if (err != nil) != c.wantErr {
						t.Fatalf("%s: got error %v", path, err)
					}
					if err == nil && (f.Len() != c.wantRows || len(f.Exog) != c.wantExogs || f.Time[1]-f.Time[0] != 3_600_000) {
						t.Fatalf("%s: %d rows, %d exog, times %v", path, f.Len(), len(f.Exog), f.Time[:2])
					}
					n++
				}
			}
		}
	}
	// Required columns the raw path declines (dictionary y, DATE ds, FLOAT).
	var req []pqReqRow
	for k := range 5000 {
		req = append(req, pqReqRow{ID: "s" + string(rune('a'+k%2)), DS: int32(k / 2), Y: float64(k % 7), Temp: float32(k) / 4})
	}
	path := filepath.Join(dir, "req.parquet")
	writePQ(t, path, req, parquet.MaxRowsPerRowGroup(1000))
	if f, err := readBoth(t, path, 2); err != nil || f.Len() != 5000 || f.NumSeries() != 2 {
		t.Fatalf("required columns: %v", err)
	}
	// Generated files (the benchmark's), and the same with a corrupted byte
	// in the middle: either both readers fail alike or both read the same.
	for _, unc := range []bool{false, true} {
		path := filepath.Join(dir, "gen.parquet")
		fh, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Generate(fh, FormatParquet, GenerateOptions{Series: 7, Bytes: 4 << 20, Seed: 3, Uncompressed: unc}); err != nil {
			t.Fatal(err)
		}
		fh.Close()
		if _, err := readBoth(t, path, 2); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []int{len(b) / 3, len(b) / 2} {
			c := append([]byte(nil), b...)
			c[at] ^= 0x55
			bad := filepath.Join(dir, "bad.parquet")
			if err := os.WriteFile(bad, c, 0o644); err != nil {
				t.Fatal(err)
			}
			readBoth(t, bad, 2)
		}
	}
	if n == 0 {
		t.Fatal("no cases ran")
	}
}
