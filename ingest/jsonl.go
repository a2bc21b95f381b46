package ingest

import (
	"bytes"
	"fmt"
	"io"
	"math"
)

// JSON lines: one object per line, keys = column names, e.g.
//
//	{"unique_id":"H1","ds":"2016-07-01 00:00:00","y":605,"temp":3.5}
//
// The id is a string (or a number, taken as written), ds a date string or
// an integer, y and exogenous values numbers. The keys of the first line
// fix the columns (every other key being exogenous, unless LoadOptions.Exog
// selects them); each line must then carry the same keys, in any order.

// jsonlParser parses lines of JSON objects.
type jsonlParser struct {
	l     *layout
	kind  TimeKind
	vals  []float64 // exogenous values of the current row
	keyB  []byte
	idBuf []byte
	seen  []bool
}

func newJSONLParser(l *layout, kind TimeKind) *jsonlParser {
	return &jsonlParser{l: l, kind: kind, vals: make([]float64, len(l.exogNames)), seen: make([]bool, len(l.names))}
}

func (p *jsonlParser) col(key []byte) int {
	for i, n := range p.l.names {
		if n == string(key) {
			return i
		}
	}
	return -1
}

func (p *jsonlParser) parse(c *chunk, block []byte) {
	it := lineIter{b: block}
	for {
		line, ok := it.next()
		if !ok {
			break
		}
		if isBlank(line) {
			c.blanks = append(c.blanks, int32(c.rows()))
			continue
		}
		if msg := p.row(c, line); msg != "" {
			c.fail(it.rel, "%s", msg)
			return
		}
	}
	c.lines = it.rel
}

// row parses one object and appends it to c, or returns what is wrong.
func (p *jsonlParser) row(c *chunk, line []byte) string {
	s := scanner{b: line}
	s.ws()
	if !s.consume('{') {
		return "not a JSON object"
	}
	clear(p.seen)
	var (
		id []byte
		t  int64
		y  float64
	)
	s.ws()
	if !s.consume('}') {
		for {
			s.ws()
			if !s.consume('"') {
				return "expected a quoted key"
			}
			raw, esc, ok := s.str()
			if !ok {
				return "bad string"
			}
			if esc {
				p.keyB = unescape(raw, p.keyB[:0])
				raw = p.keyB
			}
			col := p.col(raw)
			if col < 0 {
				return fmt.Sprintf("unexpected key %q (the first line's keys are %v)", raw, p.l.names)
			}
			if p.seen[col] {
				return fmt.Sprintf("key %q twice", raw)
			}
			p.seen[col] = true
			s.ws()
			if !s.consume(':') {
				return "expected ':'"
			}
			s.ws()
			name := p.l.names[col]
			switch role := p.l.roles[col]; role {
			case roleSkip:
				if !s.skipValue(0) {
					return fmt.Sprintf("%s: bad value", name)
				}
			case roleID:
				switch {
				case s.consume('"'):
					v, esc, ok := s.str()
					if !ok {
						return fmt.Sprintf("%s: bad string", name)
					}
					if esc {
						p.idBuf = unescape(v, p.idBuf[:0])
						v = p.idBuf
					}
					id = v
				case isNumStart(s.peek()):
					v, _, ok := s.number()
					if !ok {
						return fmt.Sprintf("%s: bad number", name)
					}
					id = v
				default:
					return fmt.Sprintf("%s: want a string", name)
				}
				if len(id) == 0 {
					return "empty " + name
				}
			case roleTime:
				var v []byte
				switch {
				case s.consume('"'):
					raw, _, ok := s.str()
					if !ok {
						return fmt.Sprintf("%s: bad string", name)
					}
					v = raw
				case isNumStart(s.peek()):
					num, _, ok := s.number()
					if !ok {
						return fmt.Sprintf("%s: bad number", name)
					}
					v = num
				default:
					return fmt.Sprintf("%s: want a date string or an integer", name)
				}
				tv, _, ok := parseTime(v, p.kind)
				if !ok {
					return fmt.Sprintf("%s: cannot parse %q as %s", name, v, timeWant(p.kind))
				}
				t = tv
			default:
				if !isNumStart(s.peek()) {
					return fmt.Sprintf("%s: not a number", name)
				}
				num, _, ok := s.number()
				if !ok {
					return fmt.Sprintf("%s: bad number", name)
				}
				v, ok := parseFloat(num)
				if !ok || math.IsInf(v, 0) {
					return fmt.Sprintf("%s: not a finite number: %s", name, num)
				}
				if role == roleY {
					y = v
				} else {
					p.vals[role] = v
				}
			}
			s.ws()
			if s.consume(',') {
				continue
			}
			if s.consume('}') {
				break
			}
			return "expected ',' or '}'"
		}
	}
	s.ws()
	if s.i != len(s.b) {
		return "text after the object"
	}
	for col, ok := range p.seen {
		if !ok {
			return fmt.Sprintf("missing key %q", p.l.names[col])
		}
	}
	c.series(id)
	c.times = append(c.times, t)
	if p.l.hasY {
		c.y = append(c.y, y)
	}
	for j, v := range p.vals {
		c.exog[j] = append(c.exog[j], v)
	}
	return ""
}

// firstObject returns the keys of the JSON object on the first non-blank
// line of b and the raw value of key timeKey ("" string kind marker
// included: quoted values come back with their quotes).
func firstObject(b []byte, timeKey string) (keys []string, timeVal []byte, line int64, err error) {
	it := lineIter{b: b}
	for {
		ln, ok := it.next()
		if !ok {
			return nil, nil, 0, fmt.Errorf("no data lines")
		}
		if isBlank(ln) {
			continue
		}
		s := scanner{b: ln}
		s.ws()
		if !s.consume('{') {
			return nil, nil, it.rel, fmt.Errorf("not a JSON object")
		}
		s.ws()
		if s.consume('}') {
			return nil, nil, it.rel, nil
		}
		for {
			s.ws()
			if !s.consume('"') {
				return nil, nil, it.rel, fmt.Errorf("expected a quoted key")
			}
			raw, esc, ok := s.str()
			if !ok {
				return nil, nil, it.rel, fmt.Errorf("bad string")
			}
			if esc {
				raw = unescape(raw, nil)
			}
			keys = append(keys, string(raw))
			s.ws()
			if !s.consume(':') {
				return nil, nil, it.rel, fmt.Errorf("expected ':'")
			}
			s.ws()
			start := s.i
			if !s.skipValue(0) {
				return nil, nil, it.rel, fmt.Errorf("bad value of %q", raw)
			}
			if string(raw) == timeKey {
				timeVal = s.b[start:s.i]
			}
			s.ws()
			if s.consume(',') {
				continue
			}
			if s.consume('}') {
				return keys, timeVal, it.rel, nil
			}
			return nil, nil, it.rel, fmt.Errorf("expected ',' or '}'")
		}
	}
}

// readJSONLFrame reads long-format JSON lines.
func readJSONLFrame(r io.Reader, mem []byte, name string, size int64, opts *LoadOptions, needY bool) (*Frame, error) {
	if mem != nil {
		r = bytes.NewReader(mem)
	}
	head, rest, err := readFirstLines(r, opts.blockSize())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	keys, tv, line, err := firstObject(head, opts.timeCol())
	if err != nil {
		return nil, &RowError{File: name, Line: max(line, 1), Msg: err.Error()}
	}
	l, err := planColumns(keys, opts, needY)
	if err != nil {
		return nil, &RowError{File: name, Line: line, Msg: err.Error()}
	}
	kind := TimeStamp
	if len(tv) > 0 && tv[0] != '"' {
		kind = TimeInt
	} else if len(tv) > 1 {
		if _, k, ok := parseTime(tv[1:len(tv)-1], TimeUnset); ok {
			kind = k
		}
	}
	b := newBuilder(name, l.exogNames, l.hasY, 1, size)
	b.f.TimeKind = kind
	src := newSource(io.MultiReader(bytes.NewReader(head), rest), mem, name, opts.blockSize())
	err = readBlocks(src, b, func() blockParser { return newJSONLParser(l, kind) }, opts.workers(), 0)
	if err != nil {
		return nil, err
	}
	return b.finish()
}
