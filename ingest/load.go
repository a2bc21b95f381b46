package ingest

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Formats of data files.
const (
	FormatAuto    = "auto"    // by extension: .csv, .parquet/.pq, .jsonl/.ndjson/.json
	FormatCSV     = "csv"     // long CSV with a header
	FormatParquet = "parquet" // long Parquet (github.com/parquet-go/parquet-go)
	FormatJSONL   = "jsonl"   // one JSON object per line
	FormatM4      = "m4"      // M4 competition wide CSV (id, then values), see ReadM4
	FormatWide    = "wide"    // one row per time, one column per series (ETT), see ReadWide
)

// LoadOptions says how to read a long-format file. The zero value reads
// NeuralForecast's columns unique_id, ds, y with every other column as a
// numeric exogenous variable, infers the frequency and fills nothing.
type LoadOptions struct {
	// Format is one of the Format constants. Default: auto.
	Format string
	// IDCol, TimeCol, TargetCol name the id, time and target columns.
	// Defaults: unique_id, ds, y.
	IDCol, TimeCol, TargetCol string
	// Exog lists the exogenous columns to read (others are ignored); nil
	// reads every other column.
	Exog []string
	// Ignore lists columns to skip (e.g. cutoff in cross-validation output).
	Ignore []string
	// Freq is the frequency (see ParseFreq); empty infers it (InferFreq).
	Freq string
	// Fill is the policy for missing rows. Default: none (gaps are only
	// reported).
	Fill string
	// Workers parse in parallel. Default: GOMAXPROCS.
	Workers int
	// BlockSize is the bytes parsed per task. Default: 4 MiB.
	BlockSize int
	// DateCol names the time column of wide files. Default: date.
	DateCol string
}

func (o *LoadOptions) idCol() string     { return def(o.IDCol, "unique_id") }
func (o *LoadOptions) timeCol() string   { return def(o.TimeCol, "ds") }
func (o *LoadOptions) targetCol() string { return def(o.TargetCol, "y") }
func (o *LoadOptions) dateCol() string   { return def(o.DateCol, "date") }
func (o *LoadOptions) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}
func (o *LoadOptions) blockSize() int {
	if o.BlockSize > 0 {
		return o.BlockSize
	}
	return defaultBlockSize
}

func def(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Validate checks the options.
func (o LoadOptions) Validate() error {
	switch o.Format {
	case "", FormatAuto, FormatCSV, FormatParquet, FormatJSONL, FormatM4, FormatWide:
	default:
		return fmt.Errorf("ingest: format %q: want auto, csv, parquet, jsonl, m4 or wide", o.Format)
	}
	if _, err := ParseFill(o.Fill); err != nil {
		return err
	}
	if o.Workers < 0 || o.BlockSize < 0 {
		return errors.New("ingest: Workers and BlockSize must be >= 0")
	}
	c := []string{o.idCol(), o.timeCol(), o.targetCol()}
	if c[0] == c[1] || c[0] == c[2] || c[1] == c[2] {
		return fmt.Errorf("ingest: id, time and target columns must differ (%s)", strings.Join(c, ", "))
	}
	return nil
}

// RegisterFlags defines --format, --id-col, --time-col, --target-col,
// --freq and --fill on fs, bound to o (each with the usual STREAMCAST_*
// environment variable through the command's flag parsing).
func (o *LoadOptions) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Format, "format", def(o.Format, FormatAuto), "data file format: auto (by extension), csv, parquet, jsonl, m4 (M4 wide CSV) or wide (one column per series, e.g. ETTh1)")
	fs.StringVar(&o.IDCol, "id-col", o.idCol(), "series id column")
	fs.StringVar(&o.TimeCol, "time-col", o.timeCol(), "time column (dates, date-times or integers)")
	fs.StringVar(&o.TargetCol, "target-col", o.targetCol(), "target column")
	fs.StringVar(&o.Freq, "freq", o.Freq, "frequency, e.g. 1h, 15min, D, W, MS, M, or an integer step for integer ds (empty = infer)")
	fs.StringVar(&o.Fill, "fill", def(o.Fill, string(FillNone)), "missing rows on the frequency grid: none (report only), ffill, zero or interpolate")
}

// Report describes a loaded file.
type Report struct {
	Bytes  int64
	Rows   int
	Series int
	Gaps   *GapReport // nil when the frequency is unknown
}

// Load reads a long-format data file (or a wide one, see LoadOptions.Format)
// into a Frame, settles its frequency, reports gaps and fills them by the
// chosen policy. Bad rows are errors naming the file and line.
func Load(path string, opts LoadOptions) (*Frame, *Report, error) {
	return load(path, opts, true)
}

// LoadFutr reads a file of future exogenous values: long format with the
// id and time columns and exogenous columns, no target. Its frequency is
// settled (and gaps filled) like Load's.
func LoadFutr(path string, opts LoadOptions) (*Frame, *Report, error) {
	return load(path, opts, false)
}

func load(path string, opts LoadOptions, needY bool) (*Frame, *Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("ingest: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("ingest: %w", err)
	}
	format := opts.Format
	if format == "" || format == FormatAuto {
		if format, err = formatOf(path); err != nil {
			return nil, nil, err
		}
	}
	var mem []byte
	if format == FormatCSV || format == FormatJSONL {
		var release func()
		var ok bool
		if mem, release, ok = mapFile(fh, st.Size()); ok {
			defer release()
		}
	}
	var f *Frame
	switch format {
	case FormatCSV:
		f, err = readCSVFrame(fh, mem, path, st.Size(), &opts, needY)
	case FormatJSONL:
		f, err = readJSONLFrame(fh, mem, path, st.Size(), &opts, needY)
	case FormatParquet:
		f, err = readParquetFrame(fh, path, st.Size(), &opts, needY)
	case FormatM4:
		f, err = ReadM4(fh, path, 1)
	case FormatWide:
		f, err = ReadWide(fh, path, opts.dateCol())
	}
	if err != nil {
		return nil, nil, err
	}
	rep := &Report{Bytes: st.Size()}
	f, err = Settle(f, opts.Freq, opts.Fill, rep)
	if err != nil {
		return nil, nil, err
	}
	return f, rep, nil
}

// Settle sets f.Freq (parsed from freq, or inferred when empty), finds the
// gaps and fills them by policy fill, recording all of it in rep.
func Settle(f *Frame, freq, fill string, rep *Report) (*Frame, error) {
	p, err := ParseFill(fill)
	if err != nil {
		return nil, err
	}
	if freq != "" {
		if f.Freq, err = ParseFreq(freq, f.TimeKind); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Source, err)
		}
	} else {
		f.Freq = InferFreq(f)
	}
	if !f.Freq.IsZero() {
		rep.Gaps = FindGaps(f, f.Freq)
		if f, err = FillGaps(f, rep.Gaps, p); err != nil {
			return nil, err
		}
	} else if p != FillNone {
		return nil, fmt.Errorf("%s: %w: --fill %s needs a frequency (give --freq; none could be inferred)", f.Source, ErrFreq, p)
	}
	rep.Rows, rep.Series = f.Len(), f.NumSeries()
	return f, nil
}

// formatOf picks the format from the file extension.
func formatOf(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".txt":
		return FormatCSV, nil
	case ".parquet", ".pq":
		return FormatParquet, nil
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL, nil
	}
	return "", fmt.Errorf("ingest: %s: cannot tell the format from the extension; give --format csv|parquet|jsonl|m4|wide", path)
}

// ReadCSV reads a long-format CSV from r (name is used in messages)
// without settling the frequency.
func ReadCSV(r io.Reader, name string, opts LoadOptions) (*Frame, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return readCSVFrame(r, nil, name, 0, &opts, true)
}
