package ingest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// seriesWriter writes long-format rows, a stretch of one series at a time.
type seriesWriter interface {
	write(id string, t []int64, y []float64, exog [][]float64) error
	close() error
}

// WriteFrame writes f to w in long format (csv, jsonl or parquet) with the
// column names of opts (unique_id, ds, y by default) followed by the
// exogenous columns. Times are written as "YYYY-MM-DD HH:MM:SS" text in CSV
// and JSON lines and as TIMESTAMP(MILLIS) in Parquet (integer times as
// integers); floats in shortest round-trip form, so reading the file back
// gives the same frame.
func WriteFrame(w io.Writer, f *Frame, format string, opts LoadOptions) error {
	return WriteFrameTimes(w, f, format, opts, nil)
}

// WriteFrameTimes is WriteFrame with the exogenous columns named in
// timeCols written as times of f's time kind (their float64 values hold
// unix milliseconds or integer times, exact below 2^53), such as the
// cutoff column of cross-validation output. Rows of one id may be split
// over several entries of f (one per cutoff); they are written in order.
func WriteFrameTimes(w io.Writer, f *Frame, format string, opts LoadOptions, timeCols []string) error {
	isTime := make([]bool, len(f.ExogNames))
	for j, n := range f.ExogNames {
		for _, t := range timeCols {
			isTime[j] = isTime[j] || n == t
		}
	}
	sw, err := newSeriesWriterTimes(w, format, f.TimeKind, f.Y != nil, f.ExogNames, &opts, isTime)
	if err != nil {
		return err
	}
	var exog [][]float64
	for i := range f.IDs {
		s := f.Series(i, exog)
		exog = s.Exog
		if err := sw.write(s.ID, s.Time, s.Y, s.Exog); err != nil {
			return err
		}
	}
	return sw.close()
}

// WriteFrameFile writes f to path (see WriteFrame).
func WriteFrameFile(path string, f *Frame, format string, opts LoadOptions) error {
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if err := WriteFrame(fh, f, format, opts); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

func newSeriesWriter(w io.Writer, format string, kind TimeKind, withY bool, exog []string, opts *LoadOptions) (seriesWriter, error) {
	return newSeriesWriterTimes(w, format, kind, withY, exog, opts, nil)
}

// newSeriesWriterTimes writes exogenous column j as a time when isTime[j].
func newSeriesWriterTimes(w io.Writer, format string, kind TimeKind, withY bool, exog []string, opts *LoadOptions, isTime []bool) (seriesWriter, error) {
	names := []string{opts.idCol(), opts.timeCol()}
	if withY {
		names = append(names, opts.targetCol())
	}
	names = append(names, exog...)
	switch format {
	case FormatCSV:
		bw := bufio.NewWriterSize(w, 1<<20)
		for i, n := range names {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString(quoteCSV(n))
		}
		bw.WriteByte('\n')
		return &textWriter{w: bw, kind: kind, isTime: isTime}, nil
	case FormatJSONL:
		tw := &textWriter{w: bufio.NewWriterSize(w, 1<<20), kind: kind, json: true, isTime: isTime}
		for _, n := range names {
			tw.keys = append(tw.keys, strconv.Quote(n)+":")
		}
		return tw, nil
	case FormatParquet:
		pw, err := newParquetWriterTimes(w, kind, names, withY, true, isTime)
		return pw, err
	}
	return nil, fmt.Errorf("ingest: cannot write format %q (csv, jsonl or parquet)", format)
}

func quoteCSV(s string) string {
	for _, c := range s {
		if c == ',' || c == '"' || c == '\n' || c == '\r' || c == ' ' {
			return strconv.Quote(s)
		}
	}
	return s
}

// textWriter writes CSV or JSON lines.
type textWriter struct {
	w    *bufio.Writer
	kind TimeKind
	json bool
	keys []string // JSON: quoted keys with ':'
	buf  []byte
	// isTime[j] writes exogenous column j as a time.
	isTime []bool
}

func (tw *textWriter) write(id string, t []int64, y []float64, exog [][]float64) error {
	qid := quoteCSV(id)
	if tw.json {
		qid = strconv.Quote(id)
	}
	for r := range t {
		b := tw.buf[:0]
		k := 0
		sep := func() {
			if tw.json {
				if k == 0 {
					b = append(b, '{')
				} else {
					b = append(b, ',')
				}
				b = append(b, tw.keys[k]...)
			} else if k > 0 {
				b = append(b, ',')
			}
			k++
		}
		sep()
		b = append(b, qid...)
		sep()
		if tw.json && tw.kind != TimeInt {
			b = append(b, '"')
		}
		b = appendDateTime(b, t[r], tw.kind)
		if tw.json && tw.kind != TimeInt {
			b = append(b, '"')
		}
		if y != nil {
			sep()
			b = strconv.AppendFloat(b, y[r], 'g', -1, 64)
		}
		for j, c := range exog {
			sep()
			if j < len(tw.isTime) && tw.isTime[j] {
				q := tw.json && tw.kind != TimeInt
				if q {
					b = append(b, '"')
				}
				b = appendDateTime(b, int64(c[r]), tw.kind)
				if q {
					b = append(b, '"')
				}
				continue
			}
			b = strconv.AppendFloat(b, c[r], 'g', -1, 64)
		}
		if tw.json {
			b = append(b, '}')
		}
		b = append(b, '\n')
		tw.buf = b
		if _, err := tw.w.Write(b); err != nil {
			return fmt.Errorf("ingest: write: %w", err)
		}
	}
	return nil
}

func (tw *textWriter) close() error {
	if err := tw.w.Flush(); err != nil {
		return fmt.Errorf("ingest: write: %w", err)
	}
	return nil
}

// appendDateTime writes "YYYY-MM-DD HH:MM:SS[.mmm]" (pandas' default text
// form) for timestamps and the integer for integer times.
func appendDateTime(dst []byte, t int64, k TimeKind) []byte {
	b := AppendTime(dst, t, k)
	if k == TimeInt || len(b) < len(dst)+20 || b[len(dst)+10] != 'T' {
		return b
	}
	b[len(dst)+10] = ' '
	return b[:len(b)-1] // drop the Z
}

// parquetWriter writes batches of rows column by column.
type parquetWriter struct {
	w     *parquet.Writer
	cols  []int // leaf index of id, time, y?, exog…
	kind  TimeKind
	withY bool
	vals  []parquet.Value
	// isTime[j] writes exogenous column j as a time.
	isTime []bool
}

// parquetRowGroup is the rows per row group written (pyarrow's default
// order of magnitude, enough row groups for parallel reads of big files).
const parquetRowGroup = 1 << 20

// columnsKey is the Parquet metadata key listing the columns in order.
const columnsKey = "streamcast.columns"

func newParquetWriter(w io.Writer, kind TimeKind, names []string, withY bool) (*parquetWriter, error) {
	return newParquetWriterCodec(w, kind, names, withY, true)
}

func newParquetWriterCodec(w io.Writer, kind TimeKind, names []string, withY, snappy bool) (*parquetWriter, error) {
	return newParquetWriterTimes(w, kind, names, withY, snappy, nil)
}

// newParquetWriterTimes writes exogenous column j as a time column when
// isTime[j].
func newParquetWriterTimes(w io.Writer, kind TimeKind, names []string, withY, snappy bool, isTime []bool) (*parquetWriter, error) {
	g := parquet.Group{}
	first := 2 // index of the first exogenous column in names
	if withY {
		first = 3
	}
	timeCol := func(i int) bool {
		j := i - first
		return i == 1 || (j >= 0 && j < len(isTime) && isTime[j])
	}
	for i, n := range names {
		switch {
		case i == 0:
			g[n] = parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
		case timeCol(i) && kind == TimeInt:
			g[n] = parquet.Int(64)
		case timeCol(i):
			g[n] = parquet.Timestamp(parquet.Millisecond)
		default:
			g[n] = parquet.Leaf(parquet.DoubleType)
		}
	}
	schema := parquet.NewSchema("frame", g)
	opts := []parquet.WriterOption{schema, parquet.MaxRowsPerRowGroup(parquetRowGroup)}
	if snappy {
		opts = append(opts, parquet.Compression(&parquet.Snappy))
	}
	pw := &parquetWriter{kind: kind, withY: withY, isTime: isTime, w: parquet.NewWriter(w, opts...)}
	// Parquet groups order their fields by name; the file order of the
	// columns is kept in the metadata for readers that care (ours does).
	pw.w.SetKeyValueMetadata(columnsKey, strings.Join(names, ","))
	for _, n := range names {
		lc, ok := schema.Lookup(n)
		if !ok {
			return nil, fmt.Errorf("ingest: parquet schema lost column %q", n)
		}
		pw.cols = append(pw.cols, lc.ColumnIndex)
	}
	return pw, nil
}

func (pw *parquetWriter) write(id string, t []int64, y []float64, exog [][]float64) error {
	const batch = 1 << 14
	cws := pw.w.ColumnWriters()
	idv := parquet.ByteArrayValue([]byte(id))
	for lo := 0; lo < len(t); lo += batch {
		hi := min(lo+batch, len(t))
		put := func(col int, val func(r int) parquet.Value) error {
			pw.vals = pw.vals[:0]
			for r := lo; r < hi; r++ {
				pw.vals = append(pw.vals, val(r).Level(0, 0, col))
			}
			_, err := cws[col].WriteRowValues(pw.vals)
			return err
		}
		if err := put(pw.cols[0], func(int) parquet.Value { return idv }); err != nil {
			return fmt.Errorf("ingest: parquet: %w", err)
		}
		if err := put(pw.cols[1], func(r int) parquet.Value { return parquet.Int64Value(t[r]) }); err != nil {
			return fmt.Errorf("ingest: parquet: %w", err)
		}
		k := 2
		if pw.withY {
			if err := put(pw.cols[2], func(r int) parquet.Value { return parquet.DoubleValue(y[r]) }); err != nil {
				return fmt.Errorf("ingest: parquet: %w", err)
			}
			k = 3
		}
		for j, c := range exog {
			val := func(r int) parquet.Value { return parquet.DoubleValue(c[r]) }
			if j < len(pw.isTime) && pw.isTime[j] {
				val = func(r int) parquet.Value { return parquet.Int64Value(int64(c[r])) }
			}
			if err := put(pw.cols[k+j], val); err != nil {
				return fmt.Errorf("ingest: parquet: %w", err)
			}
		}
	}
	return nil
}

func (pw *parquetWriter) close() error {
	if err := pw.w.Close(); err != nil {
		return fmt.Errorf("ingest: parquet: %w", err)
	}
	return nil
}
