package ingest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"

	"github.com/parquet-go/parquet-go"
)

// Static holds NeuralForecast's static_df: one row per series with the id
// and numeric static exogenous variables.
type Static struct {
	// Names are the static variables, Values[j] holding variable j for
	// every series of IDs.
	Names  []string
	IDs    []string
	Values [][]float64
	index  map[string]int
}

// Row appends the static values of series id to dst[:0].
func (s *Static) Row(id string, dst []float64) ([]float64, bool) {
	i, ok := s.index[id]
	if !ok {
		return dst[:0], false
	}
	dst = dst[:0]
	for _, c := range s.Values {
		dst = append(dst, c[i])
	}
	return dst, true
}

// For returns the static rows of every series of f, in f.IDs order
// ([series][variable]); a series of f without a static row is an error.
func (s *Static) For(f *Frame) ([][]float64, error) {
	out := make([][]float64, len(f.IDs))
	for i, id := range f.IDs {
		row, ok := s.Row(id, nil)
		if !ok {
			return nil, fmt.Errorf("ingest: series %q of %s has no row in the static file", id, f.Source)
		}
		out[i] = row
	}
	return out, nil
}

// LoadStatic reads a static file (CSV, JSON lines or Parquet, by
// opts.Format or the extension): the id column (opts.IDCol) and numeric
// columns (all others, or opts.Exog). Repeated ids and bad values are
// errors naming the line (or row).
func LoadStatic(path string, opts LoadOptions) (*Static, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	format := opts.Format
	if format == "" || format == FormatAuto {
		var err error
		if format, err = formatOf(path); err != nil {
			return nil, err
		}
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	defer fh.Close()
	sb := &staticBuilder{name: path, opts: &opts, kind: "line", index: map[string]int{}, line: map[string]int64{}}
	switch format {
	case FormatCSV:
		err = wideLines(fh, path, func(line int64, fields [][]byte) error {
			if sb.cols == nil {
				names := make([]string, len(fields))
				for i, f := range fields {
					names[i] = string(f)
				}
				return sb.header(line, names)
			}
			if len(fields) != len(sb.cols) {
				return &RowError{File: path, Line: line, Msg: fmt.Sprintf("%d fields, the header has %d columns", len(fields), len(sb.cols))}
			}
			return sb.row(line, func(i int) ([]byte, float64, bool) {
				v, ok := parseFloat(fields[i])
				return fields[i], v, ok
			})
		})
	case FormatJSONL:
		err = readStaticJSONL(fh, sb)
	case FormatParquet:
		err = readStaticParquet(fh, sb)
	default:
		err = fmt.Errorf("ingest: static files are csv, jsonl or parquet, not %q", format)
	}
	if err != nil {
		return nil, err
	}
	if len(sb.s.IDs) == 0 {
		return nil, fmt.Errorf("%s: %w: no rows", path, ErrFileFormat)
	}
	sb.s.index = sb.index
	return &sb.s, nil
}

type staticBuilder struct {
	s     Static
	name  string
	opts  *LoadOptions
	kind  string
	cols  []string
	roles []int // per column: roleID, roleSkip or variable number
	index map[string]int
	line  map[string]int64
}

func (sb *staticBuilder) header(line int64, names []string) error {
	sb.cols = names
	sb.roles = make([]int, len(names))
	want := map[string]bool{}
	for _, x := range sb.opts.Exog {
		want[x] = true
	}
	found := false
	for i, n := range names {
		switch {
		case n == sb.opts.idCol():
			sb.roles[i], found = roleID, true
		case sb.opts.Exog == nil || want[n]:
			sb.roles[i] = len(sb.s.Names)
			sb.s.Names = append(sb.s.Names, n)
			sb.s.Values = append(sb.s.Values, nil)
			delete(want, n)
		default:
			sb.roles[i] = roleSkip
		}
	}
	if !found || len(want) > 0 {
		missing := []string{}
		if !found {
			missing = append(missing, sb.opts.idCol())
		}
		for n := range want {
			missing = append(missing, n)
		}
		sort.Strings(missing[1:])
		return &RowError{File: sb.name, Line: line, Kind: sb.kind, Msg: fmt.Sprintf("missing column(s) %v in %v", missing, names)}
	}
	return nil
}

// row adds one row; field(i) returns column i as text and, when numeric,
// its value.
func (sb *staticBuilder) row(line int64, field func(i int) ([]byte, float64, bool)) error {
	var id string
	for i, r := range sb.roles {
		if r == roleID {
			b, _, _ := field(i)
			id = string(b)
		}
	}
	if id == "" {
		return &RowError{File: sb.name, Line: line, Kind: sb.kind, Msg: "empty " + sb.opts.idCol()}
	}
	if prev, dup := sb.line[id]; dup {
		return &RowError{File: sb.name, Line: line, Kind: sb.kind, Msg: fmt.Sprintf("series %q again (first on %s %d)", id, sb.kind, prev)}
	}
	for i, r := range sb.roles {
		if r < 0 {
			continue
		}
		b, v, ok := field(i)
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			return &RowError{File: sb.name, Line: line, Kind: sb.kind, Msg: fmt.Sprintf("column %s: not a finite number: %q", sb.cols[i], b)}
		}
		sb.s.Values[r] = append(sb.s.Values[r], v)
	}
	sb.line[id] = line
	sb.index[id] = len(sb.s.IDs)
	sb.s.IDs = append(sb.s.IDs, id)
	return nil
}

func readStaticJSONL(r io.Reader, sb *staticBuilder) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<26)
	var line int64
	for sc.Scan() {
		line++
		if isBlank(sc.Bytes()) {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			return &RowError{File: sb.name, Line: line, Msg: err.Error()}
		}
		if sb.cols == nil {
			var names []string
			for k := range obj {
				names = append(names, k)
			}
			sort.Strings(names)
			if err := sb.header(line, names); err != nil {
				return err
			}
		}
		if len(obj) != len(sb.cols) {
			return &RowError{File: sb.name, Line: line, Msg: fmt.Sprintf("%d keys, the first line has %d", len(obj), len(sb.cols))}
		}
		err := sb.row(line, func(i int) ([]byte, float64, bool) {
			raw, ok := obj[sb.cols[i]]
			if !ok {
				return []byte("(missing)"), 0, false
			}
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return []byte(s), 0, false
			}
			v, ok := parseFloat(raw)
			return raw, v, ok
		})
		if err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: read: %w", sb.name, err)
	}
	return nil
}

func readStaticParquet(fh *os.File, sb *staticBuilder) error {
	st, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	pf, err := parquet.OpenFile(fh, st.Size())
	if err != nil {
		return fmt.Errorf("%s: %w: %w", sb.name, ErrFileFormat, err)
	}
	sb.kind = "row"
	var names []string
	for _, c := range pf.Root().Columns() {
		names = append(names, c.Name())
	}
	if err := sb.header(1, names); err != nil {
		return err
	}
	rd := parquet.NewReader(pf)
	defer rd.Close()
	rows := make([]parquet.Row, 64)
	var line int64
	for {
		n, err := rd.ReadRows(rows)
		for _, row := range rows[:n] {
			line++
			vals := make([]parquet.Value, len(names))
			for _, v := range row {
				vals[v.Column()] = v
			}
			err := sb.row(line, func(i int) ([]byte, float64, bool) {
				v := vals[i]
				switch v.Kind() {
				case parquet.ByteArray:
					return v.ByteArray(), 0, false
				case parquet.Double:
					return []byte(v.String()), v.Double(), true
				case parquet.Float:
					return []byte(v.String()), float64(v.Float()), true
				case parquet.Int32:
					return []byte(v.String()), float64(v.Int32()), true
				case parquet.Int64:
					return []byte(v.String()), float64(v.Int64()), true
				}
				return []byte(v.String()), 0, false
			})
			if err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", sb.name, err)
		}
	}
}
