package ingest

import (
	"bufio"
	"fmt"
	"io"
	"math"
)

// wideLines calls fn with each non-blank line of a CSV and its line number,
// splitting fields with the same rules as the long reader.
func wideLines(r io.Reader, name string, fn func(line int64, fields [][]byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<30)
	var (
		n      int64
		fields [][]byte
	)
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if k := len(line); k > 0 && line[k-1] == '\r' {
			line = line[:k-1]
		}
		if n == 1 {
			line = trimBOM(line)
		}
		if isBlank(line) {
			continue
		}
		fields = fields[:0]
		for i := 0; ; {
			var own []byte // a field with escaped quotes is unescaped into its own buffer
			f, next, msg := csvField(line, i, &own)
			if msg != "" {
				return &RowError{File: name, Line: n, Msg: msg}
			}
			fields = append(fields, f)
			if next < 0 {
				break
			}
			i = next
		}
		if err := fn(n, fields); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: read: %w", name, err)
	}
	return nil
}

func trimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf {
		return b[3:]
	}
	return b
}

func wideValue(name string, line int64, col string, f []byte) (float64, error) {
	v, ok := parseFloat(f)
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, &RowError{File: name, Line: line, Msg: fmt.Sprintf("column %s: not a finite number: %q", col, f)}
	}
	return v, nil
}

// ReadM4 reads a wide file of the M4 competition (Hourly-train.csv,
// Hourly-test.csv, or a benchmark submission id,F1..Fh): a header line, then
// one row per series holding its id and its values in time order, shorter
// series padded with empty fields at the end. Series get integer times
// start, start+1, …; use ReadM4After for a file that continues another.
func ReadM4(r io.Reader, name string, start int64) (*Frame, error) {
	return readM4(r, name, func(string) (int64, bool) { return start, true })
}

// ReadM4After reads an M4 test or forecast file whose series continue those
// of train: each series' times start one after the last time of the same id
// in train. Ids missing from train are an error.
func ReadM4After(r io.Reader, name string, train *Frame) (*Frame, error) {
	last := make(map[string]int64, len(train.IDs))
	for i, id := range train.IDs {
		last[id] = train.Time[train.Offsets[i+1]-1]
	}
	return readM4(r, name, func(id string) (int64, bool) {
		t, ok := last[id]
		return t + 1, ok
	})
}

func readM4(r io.Reader, name string, start func(string) (int64, bool)) (*Frame, error) {
	f := &Frame{TimeKind: TimeInt, Y: []float64{}, Source: name, Freq: Freq{Step: 1}}
	seen := map[string]int64{}
	err := wideLines(r, name, func(line int64, fields [][]byte) error {
		if line == 1 {
			return nil // header V1,V2,… or id,F1,…
		}
		id := string(fields[0])
		if id == "" {
			return &RowError{File: name, Line: line, Msg: "empty series id"}
		}
		if prev, dup := seen[id]; dup {
			return &RowError{File: name, Line: line, Msg: fmt.Sprintf("series %q again (first on line %d)", id, prev)}
		}
		seen[id] = line
		t0, ok := start(id)
		if !ok {
			return &RowError{File: name, Line: line, Msg: fmt.Sprintf("series %q is not in the training file", id)}
		}
		vals := fields[1:]
		n := len(vals)
		for n > 0 && len(vals[n-1]) == 0 {
			n--
		}
		if n == 0 {
			return &RowError{File: name, Line: line, Msg: fmt.Sprintf("series %q has no values", id)}
		}
		f.IDs = append(f.IDs, id)
		f.Offsets = append(f.Offsets, len(f.Time))
		for k, b := range vals[:n] {
			if len(b) == 0 {
				return &RowError{File: name, Line: line, Msg: fmt.Sprintf("series %q: empty value %d inside the series", id, k+1)}
			}
			v, err := wideValue(name, line, fmt.Sprintf("%d", k+2), b)
			if err != nil {
				return err
			}
			f.Time = append(f.Time, t0+int64(k))
			f.Y = append(f.Y, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(f.IDs) == 0 {
		return nil, fmt.Errorf("%s: %w: no series", name, ErrFileFormat)
	}
	f.Offsets = append(f.Offsets, len(f.Time))
	return f, nil
}

// ReadWide reads a wide file with one row per time step and one column per
// series (ETTh1.csv: date,HUFL,HULL,MUFL,MULL,LUFL,LULL,OT): every column
// but dateCol becomes a series whose id is the column name. dateCol holds
// dates or date-times (or integers).
func ReadWide(r io.Reader, name, dateCol string) (*Frame, error) {
	var (
		header []string
		dc     = -1
		cols   [][]float64
		times  []int64
		kind   TimeKind
	)
	err := wideLines(r, name, func(line int64, fields [][]byte) error {
		if header == nil {
			for i, h := range fields {
				header = append(header, string(h))
				if string(h) == dateCol {
					dc = i
				}
			}
			if dc < 0 {
				return &RowError{File: name, Line: line, Msg: fmt.Sprintf("no column %q (see --date-col)", dateCol)}
			}
			cols = make([][]float64, len(header))
			return nil
		}
		if len(fields) != len(header) {
			return &RowError{File: name, Line: line, Msg: fmt.Sprintf("%d fields, the header has %d columns", len(fields), len(header))}
		}
		t, k, ok := parseTime(fields[dc], kind)
		if !ok {
			return &RowError{File: name, Line: line, Msg: fmt.Sprintf("column %s: cannot parse %q as %s", dateCol, fields[dc], timeWant(kind))}
		}
		kind = k
		if n := len(times); n > 0 && t <= times[n-1] {
			return &RowError{File: name, Line: line, Msg: fmt.Sprintf("column %s: %q does not follow the previous row's time", dateCol, fields[dc])}
		}
		times = append(times, t)
		for i, b := range fields {
			if i == dc {
				continue
			}
			v, err := wideValue(name, line, header[i], b)
			if err != nil {
				return err
			}
			cols[i] = append(cols[i], v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(times) == 0 {
		return nil, fmt.Errorf("%s: %w: no data rows", name, ErrFileFormat)
	}
	f := &Frame{TimeKind: kind, Source: name}
	for i, h := range header {
		if i == dc {
			continue
		}
		f.IDs = append(f.IDs, h)
		f.Offsets = append(f.Offsets, len(f.Time))
		f.Time = append(f.Time, times...)
		f.Y = append(f.Y, cols[i]...)
	}
	f.Offsets = append(f.Offsets, len(f.Time))
	return f, nil
}
