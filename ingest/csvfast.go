package ingest

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"
)

// Column roles of a long-format file.
const (
	roleSkip = -1
	roleID   = -2
	roleTime = -3
	roleY    = -4
	// roles >= 0 are exogenous column numbers
)

// layout maps the columns of a file to roles.
type layout struct {
	roles     []int // per file column
	exogNames []string
	hasY      bool
	names     []string // file column names
}

// planColumns assigns roles to the header names under opts: the id, time
// and target columns by name, the rest as numeric exogenous columns (or only
// those listed in opts.Exog, the others being ignored). The error names
// what is missing.
func planColumns(names []string, opts *LoadOptions, needY bool) (*layout, error) {
	l := &layout{roles: make([]int, len(names)), names: names}
	idc, tc, yc := opts.idCol(), opts.timeCol(), opts.targetCol()
	var want map[string]bool
	if opts.Exog != nil {
		want = map[string]bool{}
		for _, x := range opts.Exog {
			want[x] = true
		}
	}
	ignore := map[string]bool{}
	for _, x := range opts.Ignore {
		ignore[x] = true
	}
	seen := map[string]bool{}
	found := map[int]bool{}
	for i, n := range names {
		if n == "" {
			return nil, fmt.Errorf("column %d has an empty name", i+1)
		}
		if seen[n] {
			return nil, fmt.Errorf("column %q appears twice", n)
		}
		seen[n] = true
		switch {
		case n == idc:
			l.roles[i] = roleID
			found[roleID] = true
		case n == tc:
			l.roles[i] = roleTime
			found[roleTime] = true
		case n == yc:
			l.roles[i] = roleY
			l.hasY = true
		case ignore[n]:
			l.roles[i] = roleSkip
		case want == nil || want[n]:
			l.roles[i] = len(l.exogNames)
			l.exogNames = append(l.exogNames, n)
		default:
			l.roles[i] = roleSkip
		}
	}
	var missing []string
	if !found[roleID] {
		missing = append(missing, idc)
	}
	if !found[roleTime] {
		missing = append(missing, tc)
	}
	if needY && !l.hasY {
		missing = append(missing, yc)
	}
	for _, x := range opts.Exog {
		if !seen[x] {
			missing = append(missing, x)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing column(s) %s (columns are %s; see --id-col, --time-col, --target-col)",
			strings.Join(missing, ", "), strings.Join(names, ","))
	}
	return l, nil
}

// splitHeader splits a CSV header line into trimmed, unquoted names.
func splitHeader(line []byte) ([]string, error) {
	line = bytes.TrimPrefix(line, []byte("\ufeff"))
	var names []string
	var scratch []byte
	for i := 0; ; {
		f, next, err := csvField(line, i, &scratch)
		if err != "" {
			return nil, fmt.Errorf("%s", err)
		}
		names = append(names, strings.TrimSpace(string(f)))
		if next < 0 {
			return names, nil
		}
		i = next
	}
}

// csvField returns the field starting at line[i] (surrounding spaces
// trimmed, quotes removed) and the start of the next field, or -1 at the
// end of the line. Quoted fields may hold commas and doubled quotes but not
// line breaks; unescaping "" uses *scratch.
func csvField(line []byte, i int, scratch *[]byte) (field []byte, next int, err string) {
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i < len(line) && line[i] == '"' {
		i++
		start := i
		esc := false
		for {
			q := bytes.IndexByte(line[i:], '"')
			if q < 0 {
				return nil, -1, "unterminated quoted field (line breaks inside quotes are not supported)"
			}
			i += q + 1
			if i < len(line) && line[i] == '"' {
				esc = true
				i++
				continue
			}
			break
		}
		field = line[start : i-1]
		if esc {
			*scratch = append((*scratch)[:0], field...)
			*scratch = bytes.ReplaceAll(*scratch, []byte(`""`), []byte(`"`))
			field = *scratch
		}
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			return field, -1, ""
		}
		if line[i] != ',' {
			return nil, -1, "text after a closing quote"
		}
		return field, i + 1, ""
	}
	c := bytes.IndexByte(line[i:], ',')
	if c < 0 {
		field, next = line[i:], -1
	} else {
		field, next = line[i:i+c], i+c+1
	}
	for n := len(field); n > 0 && (field[n-1] == ' ' || field[n-1] == '\t'); n-- {
		field = field[:n-1]
	}
	return field, next, ""
}

// csvParser parses data lines of a long-format CSV.
type csvParser struct {
	l       *layout
	kind    TimeKind
	scratch []byte // unescaped quoted fields
	idBuf   []byte // the unescaped id (kept apart: later fields reuse scratch)
}

func (p *csvParser) parse(c *chunk, block []byte) {
	it := lineIter{b: block}
	ncol := len(p.l.roles)
	for {
		line, ok := it.next()
		if !ok {
			break
		}
		if isBlank(line) {
			c.blanks = append(c.blanks, int32(c.rows()))
			continue
		}
		var (
			id   []byte
			t    int64
			y    float64
			i    int
			bad  bool
			nfld int
		)
		for col := 0; ; col++ {
			if col >= ncol {
				c.fail(it.rel, "more fields than the %d columns of the header", ncol)
				bad = true
				break
			}
			var f []byte
			var next int
			// Fast path: unquoted field up to the next comma.
			if i < len(line) && line[i] != '"' && line[i] != ' ' && line[i] != '\t' {
				e := bytes.IndexByte(line[i:], ',')
				if e < 0 {
					f, next = line[i:], -1
				} else {
					f, next = line[i:i+e], i+e+1
				}
				if n := len(f); n > 0 && (f[n-1] == ' ' || f[n-1] == '\t') {
					f = bytes.TrimRight(f, " \t")
				}
			} else {
				var msg string
				sc := &p.scratch
				if p.l.roles[col] == roleID {
					sc = &p.idBuf
				}
				f, next, msg = csvField(line, i, sc)
				if msg != "" {
					c.fail(it.rel, "column %s: %s", p.l.names[col], msg)
					bad = true
					break
				}
			}
			nfld++
			if !p.field(c, it.rel, col, f, &id, &t, &y) {
				bad = true
				break
			}
			if next < 0 {
				break
			}
			i = next
		}
		if bad {
			return
		}
		if nfld != ncol {
			c.fail(it.rel, "%d fields, the header has %d columns", nfld, ncol)
			return
		}
		c.series(id)
		c.times = append(c.times, t)
		if p.l.hasY {
			c.y = append(c.y, y)
		}
	}
	c.lines = it.rel
}

// field handles one field of a row; exogenous values are appended at once
// (a failed row stops the whole parse, so partial rows never survive).
func (p *csvParser) field(c *chunk, rel int64, col int, f []byte, id *[]byte, t *int64, y *float64) bool {
	switch role := p.l.roles[col]; role {
	case roleSkip:
	case roleID:
		if len(f) == 0 {
			c.fail(rel, "empty %s", p.l.names[col])
			return false
		}
		*id = f
	case roleTime:
		v, _, ok := parseTime(f, p.kind)
		if !ok {
			c.fail(rel, "column %s: cannot parse %q as %s", p.l.names[col], f, timeWant(p.kind))
			return false
		}
		*t = v
	default:
		v, ok := parseFloat(f)
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			what := "not a number"
			if ok {
				what = "not a finite number"
			}
			c.fail(rel, "column %s: %s: %q", p.l.names[col], what, f)
			return false
		}
		if role == roleY {
			*y = v
		} else {
			c.exog[role] = append(c.exog[role], v)
		}
	}
	return true
}

func timeWant(k TimeKind) string {
	if k == TimeInt {
		return "an integer time index like the first row's"
	}
	return "a date/time (YYYY-MM-DD[ HH:MM[:SS]][Z|±HH:MM]) like the first row's"
}

// readCSVFrame reads a long-format CSV.
func readCSVFrame(r io.Reader, mem []byte, name string, size int64, opts *LoadOptions, needY bool) (*Frame, error) {
	if mem != nil {
		r = bytes.NewReader(mem)
	}
	head, rest, err := readFirstLines(r, opts.blockSize())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	it := lineIter{b: head}
	hl, ok := it.next()
	if !ok || isBlank(hl) {
		return nil, &RowError{File: name, Line: 1, Msg: "empty file (no header)"}
	}
	names, err := splitHeader(hl)
	if err != nil {
		return nil, &RowError{File: name, Line: 1, Msg: err.Error()}
	}
	l, err := planColumns(names, opts, needY)
	if err != nil {
		return nil, &RowError{File: name, Line: 1, Msg: err.Error()}
	}
	body := head[it.pos:]
	kind, err := sniffKind(body, func(line []byte) ([]byte, string) {
		var sc []byte
		i := 0
		for col := range l.roles {
			f, next, msg := csvField(line, i, &sc)
			if msg != "" {
				return nil, msg
			}
			if l.roles[col] == roleTime {
				return f, ""
			}
			if next < 0 {
				return nil, "too few fields"
			}
			i = next
		}
		return nil, "no time field"
	})
	if err != nil {
		return nil, err
	}
	b := newBuilder(name, l.exogNames, l.hasY, 2, size)
	b.f.TimeKind = kind
	var src blockSource
	if mem != nil {
		src = newSource(nil, mem[it.pos:], name, opts.blockSize())
	} else {
		src = newSource(io.MultiReader(bytes.NewReader(body), rest), nil, name, opts.blockSize())
	}
	err = readBlocks(src, b, func() blockParser { return &csvParser{l: l, kind: kind} }, opts.workers(), 1)
	if err != nil {
		return nil, err
	}
	return b.finish()
}

// readFirstLines reads up to n bytes (more if no line break came yet) and
// returns them with a reader of the rest.
func readFirstLines(r io.Reader, n int) ([]byte, io.Reader, error) {
	buf := make([]byte, 0, min(n, 1<<16))
	for {
		if len(buf) == cap(buf) {
			if bytes.IndexByte(buf, '\n') >= 0 {
				break
			}
			buf = append(buf, 0)[:len(buf)]
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err == io.EOF {
			return buf, bytes.NewReader(nil), nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read: %w", err)
		}
	}
	return buf, r, nil
}

// sniffKind decides the time kind from the first non-blank line of body,
// whose time field timeField extracts. An unreadable first line is left
// for the parser to report (with its line number) by returning TimeStamp.
func sniffKind(body []byte, timeField func([]byte) ([]byte, string)) (TimeKind, error) {
	it := lineIter{b: body}
	for {
		line, ok := it.next()
		if !ok {
			return TimeStamp, nil
		}
		if isBlank(line) {
			continue
		}
		f, msg := timeField(line)
		if msg != "" {
			return TimeStamp, nil
		}
		if _, k, ok := parseTime(f, TimeUnset); ok {
			return k, nil
		}
		return TimeStamp, nil
	}
}
