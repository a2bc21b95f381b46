package ingest

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
)

// GenerateOptions describes a synthetic long-format panel for benchmarks.
type GenerateOptions struct {
	// Series is the number of series. Default: 1000.
	Series int
	// Bytes is the approximate size of the file to write; the rows per
	// series follow from it. Default: 1 GiB.
	Bytes int64
	// Seed makes the data reproducible.
	Seed uint64
	// Uncompressed writes Parquet pages without compression (default:
	// snappy, pyarrow's default).
	Uncompressed bool
}

// Generate writes a realistic long-format panel (unique_id, ds, y, temp,
// promo) in format (csv, jsonl or parquet) to w: hourly series from
// 2020-01-01 with ids like "store_017/item_0042", a per-series level,
// daily and weekly cycles and noise written with 3 decimals, a temperature
// with 1 decimal and a 0/1 promotion flag, series after series. It returns
// the rows written.
func Generate(w io.Writer, format string, o GenerateOptions) (int64, error) {
	if o.Series <= 0 {
		o.Series = 1000
	}
	if o.Bytes <= 0 {
		o.Bytes = 1 << 30
	}
	// Bytes per row measured on a sample of the text form; Parquet is
	// smaller per row, so it gets more rows for the same size.
	perRow := map[string]float64{FormatCSV: 54, FormatJSONL: 96, FormatParquet: 14}[format]
	if perRow == 0 {
		return 0, fmt.Errorf("ingest: cannot generate format %q (csv, jsonl or parquet)", format)
	}
	var sw seriesWriter
	var err error
	if format == FormatParquet {
		if o.Uncompressed {
			perRow = 32 // 8 bytes per value, the id dictionary-encoded
		}
		sw, err = newParquetWriterCodec(w, TimeStamp, []string{"unique_id", "ds", "y", "temp", "promo"}, true, !o.Uncompressed)
	} else {
		sw, err = newSeriesWriter(w, format, TimeStamp, true, []string{"temp", "promo"}, &LoadOptions{})
	}
	if err != nil {
		return 0, err
	}
	rowsPer := max(1, int(float64(o.Bytes)/perRow/float64(o.Series)))
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	const chunk = 1 << 14
	t := make([]int64, chunk)
	y := make([]float64, chunk)
	temp := make([]float64, chunk)
	promo := make([]float64, chunk)
	start := int64(1577836800000) // 2020-01-01T00:00:00Z
	var rows int64
	for s := range o.Series {
		id := fmt.Sprintf("store_%03d/item_%04d", s%97, s)
		level := 50 + 450*rng.Float64()
		amp := 0.1 + 0.4*rng.Float64()
		phase := 2 * math.Pi * rng.Float64()
		for lo := 0; lo < rowsPer; lo += chunk {
			n := min(chunk, rowsPer-lo)
			for i := range n {
				k := lo + i
				t[i] = start + int64(k)*3_600_000
				day := 2 * math.Pi * float64(k%24) / 24
				week := 2 * math.Pi * float64(k%168) / 168
				v := level * (1 + amp*math.Sin(day+phase) + 0.1*math.Sin(week)) * (1 + 0.05*rng.NormFloat64())
				y[i] = math.Round(v*1000) / 1000
				temp[i] = math.Round((15+10*math.Sin(day-1)+2*rng.NormFloat64())*10) / 10
				promo[i] = 0
				if rng.IntN(10) == 0 {
					promo[i] = 1
				}
			}
			if err := sw.write(id, t[:n], y[:n], [][]float64{temp[:n], promo[:n]}); err != nil {
				return rows, err
			}
			rows += int64(n)
		}
	}
	return rows, sw.close()
}
