package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// FileSeries is one series read from a file for offline training or
// prediction. Values are in time order (oldest first).
type FileSeries struct {
	// ID is the series id (unique_id in long format, the column name for a
	// wide-file column).
	ID string
	// DS holds the time stamps as written in the file (nil for wide files
	// without a recognised date column).
	DS []string
	// Y holds the target values, len(Y) == len(DS) when DS is set.
	Y []float64
	// Exog holds one slice per name of FileData.ExogNames, each len(Y).
	Exog [][]float64
}

// FileData is the content of a series file.
type FileData struct {
	Series []FileSeries
	// ExogNames names the exogenous columns (long format: every column after
	// unique_id, ds, y; wide format: none).
	ExogNames []string
}

// Values returns the target values of every series, in file order.
func (d *FileData) Values() [][]float64 {
	out := make([][]float64, len(d.Series))
	for i := range d.Series {
		out[i] = d.Series[i].Y
	}
	return out
}

// ErrFileFormat marks malformed series files.
var ErrFileFormat = errors.New("ingest: bad series file")

func lineErr(line int, format string, args ...any) error {
	return fmt.Errorf("%w: line %d: %s", ErrFileFormat, line, fmt.Sprintf(format, args...))
}

// ReadSeriesFile reads path: a wide CSV when column is non-empty (the named
// column becomes one series, see ReadWideColumn), else a long-format CSV
// (see ReadLongCSV).
func ReadSeriesFile(path, column string) (*FileData, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	defer f.Close()
	var d *FileData
	if column != "" {
		d, err = ReadWideColumn(f, column)
	} else {
		d, err = ReadLongCSV(f)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

func newCSV(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	return cr
}

// parseValue parses a finite float.
func parseValue(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("not a finite number: %q", s)
	}
	return v, nil
}

// readHeader reads the first record and returns a copy of it.
func readHeader(cr *csv.Reader) ([]string, error) {
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: empty file (no header)", ErrFileFormat)
	}
	if err != nil {
		return nil, csvErr(err)
	}
	h := make([]string, len(rec))
	for i, s := range rec {
		h[i] = strings.TrimSpace(s)
	}
	if len(h) > 0 {
		h[0] = strings.TrimPrefix(h[0], "\ufeff") // UTF-8 byte-order mark
	}
	return h, nil
}

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return lineErr(pe.Line, "%v", pe.Err)
	}
	return fmt.Errorf("ingest: %w", err)
}

// ReadLongCSV reads NeuralForecast's long format: a header with the columns
// unique_id, ds and y (in any order), any further columns being numeric
// exogenous variables, then one row per (series, time). Rows of a series
// keep file order and their ds must increase (compared as numbers when every
// ds of the series is numeric, as time stamps when they parse as such,
// otherwise as strings); series appear in order of first occurrence. A bad
// row is an error that names its line number.
func ReadLongCSV(r io.Reader) (*FileData, error) {
	cr := newCSV(r)
	header, err := readHeader(cr)
	if err != nil {
		return nil, err
	}
	idCol, dsCol, yCol := -1, -1, -1
	var exogCols []int
	d := &FileData{}
	for i, name := range header {
		switch name {
		case "unique_id":
			idCol = i
		case "ds":
			dsCol = i
		case "y":
			yCol = i
		default:
			if name == "" {
				return nil, lineErr(1, "column %d has an empty name", i+1)
			}
			exogCols = append(exogCols, i)
			d.ExogNames = append(d.ExogNames, name)
		}
	}
	if idCol < 0 || dsCol < 0 || yCol < 0 {
		return nil, lineErr(1, "long format needs columns unique_id, ds, y (got %s); use a column name for a wide file", strings.Join(header, ","))
	}
	index := map[string]int{}
	var order []dsOrder
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		id := strings.TrimSpace(rec[idCol])
		if id == "" {
			return nil, lineErr(line, "empty unique_id")
		}
		ds := strings.TrimSpace(rec[dsCol])
		if ds == "" {
			return nil, lineErr(line, "empty ds")
		}
		y, err := parseValue(rec[yCol])
		if err != nil {
			return nil, lineErr(line, "column y: %v", err)
		}
		k, ok := index[id]
		if !ok {
			k = len(d.Series)
			index[id] = k
			d.Series = append(d.Series, FileSeries{ID: id, Exog: make([][]float64, len(exogCols))})
			order = append(order, dsOrder{})
		}
		s := &d.Series[k]
		if err := order[k].next(ds); err != nil {
			return nil, lineErr(line, "series %q: %v", id, err)
		}
		s.DS = append(s.DS, ds)
		s.Y = append(s.Y, y)
		for j, c := range exogCols {
			v, err := parseValue(rec[c])
			if err != nil {
				return nil, lineErr(line, "column %s: %v", header[c], err)
			}
			s.Exog[j] = append(s.Exog[j], v)
		}
	}
	if len(d.Series) == 0 {
		return nil, fmt.Errorf("%w: no data rows", ErrFileFormat)
	}
	return d, nil
}

// dsOrder checks that the ds values of one series increase.
type dsOrder struct {
	n      int
	kind   int // 0 unknown, 1 number, 2 time, 3 string
	layout string
	num    float64
	t      time.Time
	s      string
}

var timeLayouts = []string{"2006-01-02 15:04:05", time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"}

func (o *dsOrder) next(ds string) error {
	defer func() { o.n++ }()
	if o.kind == 0 {
		o.kind = 3
		if v, err := strconv.ParseFloat(ds, 64); err == nil {
			o.kind, o.num = 1, v
		} else {
			for _, l := range timeLayouts {
				if t, err := time.Parse(l, ds); err == nil {
					o.kind, o.layout, o.t = 2, l, t
					break
				}
			}
		}
		o.s = ds
		return nil
	}
	switch o.kind {
	case 1:
		v, err := strconv.ParseFloat(ds, 64)
		if err != nil {
			return fmt.Errorf("ds %q is not numeric like the earlier ones", ds)
		}
		if !(v > o.num) {
			return fmt.Errorf("ds %q does not increase (previous %q); sort the file by unique_id, ds", ds, o.s)
		}
		o.num = v
	case 2:
		t, err := time.Parse(o.layout, ds)
		if err != nil {
			return fmt.Errorf("ds %q is not a time stamp like the earlier ones (%s)", ds, o.layout)
		}
		if !t.After(o.t) {
			return fmt.Errorf("ds %q does not increase (previous %q); sort the file by unique_id, ds", ds, o.s)
		}
		o.t = t
	default:
		if ds <= o.s {
			return fmt.Errorf("ds %q does not increase (previous %q); sort the file by unique_id, ds", ds, o.s)
		}
	}
	o.s = ds
	return nil
}

// ReadWideColumn reads a wide CSV (one row per time step, one column per
// variable, like ETTh1.csv) and returns the named column as a single series
// whose ID is the column name. A `date` or `ds` column, when present, fills
// DS. Every row must have the header's number of fields; a missing or
// non-numeric value in the column is an error naming its line.
func ReadWideColumn(r io.Reader, column string) (*FileData, error) {
	cr := newCSV(r)
	header, err := readHeader(cr)
	if err != nil {
		return nil, err
	}
	col, dateCol := -1, -1
	for i, name := range header {
		switch name {
		case column:
			col = i
		case "date", "ds":
			if dateCol < 0 {
				dateCol = i
			}
		}
	}
	if col < 0 {
		return nil, lineErr(1, "no column %q in header (%s)", column, strings.Join(header, ","))
	}
	if dateCol == col {
		dateCol = -1
	}
	s := FileSeries{ID: column}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		v, err := parseValue(rec[col])
		if err != nil {
			return nil, lineErr(line, "column %s: %v", column, err)
		}
		s.Y = append(s.Y, v)
		if dateCol >= 0 {
			s.DS = append(s.DS, strings.TrimSpace(rec[dateCol]))
		}
	}
	if len(s.Y) == 0 {
		return nil, fmt.Errorf("%w: no data rows", ErrFileFormat)
	}
	return &FileData{Series: []FileSeries{s}}, nil
}
