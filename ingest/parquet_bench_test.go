package ingest

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParquet reads a generated ~64 MB long-format Parquet file
// (1000 series, hourly, two exogenous columns), snappy-compressed and
// uncompressed: "read" is the reader alone (file to grouped Frame),
// "load" adds what Load does after it (frequency inference and the gap
// scan). The MB/s metric is file bytes per second, as `streamcast bench
// load` reports at 1 GB scale.
func BenchmarkParquet(b *testing.B) {
	for _, codec := range []string{"snappy", "none"} {
		path := filepath.Join(b.TempDir(), "bench.parquet")
		fh, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Generate(fh, FormatParquet, GenerateOptions{Bytes: 64 << 20, Seed: 1, Uncompressed: codec == "none"}); err != nil {
			b.Fatal(err)
		}
		if err := fh.Close(); err != nil {
			b.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(codec+"/read", func(b *testing.B) {
			b.SetBytes(st.Size())
			for b.Loop() {
				fh, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				_, err = readParquetFrame(fh, path, st.Size(), &LoadOptions{}, true)
				fh.Close()
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(codec+"/load", func(b *testing.B) {
			b.SetBytes(st.Size())
			for b.Loop() {
				if _, _, err := Load(path, LoadOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
