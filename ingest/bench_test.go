package ingest

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoad loads a generated ~64 MB long-format file of each format
// (1000 series, hourly, two exogenous columns); the MB/s metric is file
// bytes per second. `streamcast bench load` runs the same at 1 GB scale.
func BenchmarkLoad(b *testing.B) {
	for _, format := range []string{FormatCSV, FormatParquet, FormatJSONL} {
		b.Run(format, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench."+format)
			fh, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Generate(fh, format, GenerateOptions{Bytes: 64 << 20, Seed: 1}); err != nil {
				b.Fatal(err)
			}
			fh.Close()
			st, _ := os.Stat(path)
			b.SetBytes(st.Size())
			b.ResetTimer()
			for b.Loop() {
				if _, _, err := Load(path, LoadOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
