package ingest

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// Parquet files are read column by column, page by page, each column chunk
// straight into its place in the frame: PLAIN 8-byte columns by the raw path
// (parquet_raw.go), the others from parquet-go's typed page buffers (no
// per-value boxing). The (row group, column) chunks are decoded on all
// cores and joined in file order. Supported leaf types: the id as a string (plain or
// dictionary) or an integer; ds as a TIMESTAMP (milli/micro/nano), a DATE,
// a plain integer (integer time index) or a date string; y and exogenous
// values as DOUBLE, FLOAT, INT32 or INT64. Nulls are errors naming the row.

// pqColumn is one needed leaf column.
type pqColumn struct {
	index int // leaf column index
	name  string
	role  int
	// time decoding
	unitDiv, unitMul int64 // ms = v/unitDiv*unitMul (floor)
	date             bool  // INT32 days
	text             bool  // BYTE_ARRAY to parse
	// maximum definition and repetition levels
	maxDef, maxRep int
}

func readParquetFrame(r io.ReaderAt, name string, size int64, opts *LoadOptions, needY bool) (*Frame, error) {
	return readParquet(r, name, size, opts, needY, true)
}

// readParquet reads a Parquet file; raw enables the raw path for the
// columns it handles (parquet_raw.go), else every column goes through the
// generic page reader.
func readParquet(r io.ReaderAt, name string, size int64, opts *LoadOptions, needY, raw bool) (*Frame, error) {
	pf, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true),
		parquet.ReadBufferSize(1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrFileFormat, err)
	}
	var names []string
	leaf := map[string]*parquet.Column{}
	for _, c := range pf.Root().Columns() {
		if !c.Leaf() {
			return nil, &RowError{File: name, Kind: "row", Msg: fmt.Sprintf("column %q is nested; only flat schemas are read", c.Name())}
		}
		names = append(names, c.Name())
		leaf[c.Name()] = c
	}
	if order, ok := pf.Lookup(columnsKey); ok {
		names = reorder(names, strings.Split(order, ","))
	}
	l, err := planColumns(names, opts, needY)
	if err != nil {
		return nil, &RowError{File: name, Kind: "row", Msg: err.Error()}
	}
	var cols []pqColumn
	kind := TimeStamp
	for i, n := range names {
		role := l.roles[i]
		if role == roleSkip {
			continue
		}
		c := leaf[n]
		pc := pqColumn{index: c.Index(), name: n, role: role, maxDef: c.MaxDefinitionLevel(), maxRep: c.MaxRepetitionLevel()}
		typ := c.Type()
		switch role {
		case roleID:
			if k := typ.Kind(); k != parquet.ByteArray && k != parquet.Int32 && k != parquet.Int64 {
				return nil, &RowError{File: name, Kind: "row", Msg: fmt.Sprintf("column %s: type %v cannot be an id", n, typ)}
			}
		case roleTime:
			if kind, err = pqTimeColumn(&pc, typ); err != nil {
				return nil, &RowError{File: name, Kind: "row", Msg: err.Error()}
			}
		default:
			switch typ.Kind() {
			case parquet.Double, parquet.Float, parquet.Int32, parquet.Int64:
			default:
				return nil, &RowError{File: name, Kind: "row", Msg: fmt.Sprintf("column %s: type %v is not numeric", n, typ)}
			}
		}
		cols = append(cols, pc)
	}
	b := newBuilder(name, l.exogNames, l.hasY, 1, 0)
	b.lineKind = "row"
	b.f.TimeKind = kind
	groups := pf.RowGroups()
	if pf.NumRows() > math.MaxInt32 {
		return nil, fmt.Errorf("%s: %w: more than %d rows", name, ErrFileFormat, math.MaxInt32)
	}
	b.reserve(int(pf.NumRows()))
	res, err := decodeGroups(pf, r, size, cols, kind, b, opts.workers(), raw)
	if err != nil {
		return nil, err
	}
	var before int64
	for gi, g := range groups {
		gr := &res[gi]
		for k := range cols {
			t := &gr.tasks[k]
			switch {
			case t.err != nil:
				return nil, fmt.Errorf("%s: row group %d: %w", name, gi, t.err)
			case t.c.err != nil:
				e := *t.c.err
				e.File, e.Line, e.Kind = name, before+t.c.errRel, "row"
				return nil, &e
			}
		}
		if b.f.TimeKind == TimeUnset {
			b.f.TimeKind = gr.kind
		} else if gr.kind != TimeUnset && gr.kind != b.f.TimeKind {
			return nil, &RowError{File: name, Line: before + 1, Kind: "row",
				Msg: fmt.Sprintf("column %s holds %s times here and %s times in earlier rows", opts.timeCol(), gr.kind, b.f.TimeKind)}
		}
		b.addInPlace(gr.ids)
		before += g.NumRows()
		gr.tasks = nil
	}
	if b.f.TimeKind == TimeUnset {
		b.f.TimeKind = TimeStamp
	}
	return b.finish()
}

// pqTask is the decoding of one column of one row group; c holds its
// column view (and, for the id column, the series runs) and its first row
// error, err any other error.
type pqTask struct {
	c   *chunk
	err error
}

// pqGroup is the decoded row group: a task per needed column (in column
// order), the chunk holding the series runs and the time kind it saw.
type pqGroup struct {
	tasks []pqTask
	ids   *chunk
	kind  TimeKind
}

// decodeGroups decodes every needed column of every row group into its
// place in b's reserved columns, with workers goroutines taking (row group,
// column) tasks in file order. After a failure in row group g, tasks of
// later row groups are skipped: the caller reports the first failure in
// file order, which is in g or before it.
func decodeGroups(pf *parquet.File, r io.ReaderAt, size int64, cols []pqColumn, kind TimeKind, b *builder, workers int, raw bool) ([]pqGroup, error) {
	groups := pf.RowGroups()
	meta := pf.Metadata().RowGroups
	if len(meta) != len(groups) {
		raw = false
	}
	res := make([]pqGroup, len(groups))
	base := 0
	nexog := len(b.f.Exog)
	for gi, g := range groups {
		n := int(g.NumRows())
		gr := &res[gi]
		gr.kind = kind
		gr.tasks = make([]pqTask, len(cols))
		for k, pc := range cols {
			c := &chunk{exog: make([][]float64, nexog), cur: -1}
			if pc.role == roleID {
				c.local = map[string]int32{}
				gr.ids = c
			}
			b.views(c, base, n)
			gr.tasks[k].c = c
		}
		if gr.ids == nil {
			return nil, fmt.Errorf("%s: internal error: no id column", b.f.Source) // planColumns always keeps one
		}
		base += n
	}
	total := len(groups) * len(cols)
	var next atomic.Int64
	var failed atomic.Int64 // lowest row group with a failure
	failed.Store(math.MaxInt64)
	var wg sync.WaitGroup
	for range min(workers, max(total, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var d rawDecoder
			for {
				i := int(next.Add(1) - 1)
				if i >= total {
					return
				}
				gi, k := i/len(cols), i%len(cols)
				if int64(gi) > failed.Load() {
					return
				}
				g, gr, pc := groups[gi], &res[gi], &cols[k]
				t := &gr.tasks[k]
				n := int(g.NumRows())
				if !raw || pc.index >= len(meta[gi].Columns) || !d.column(r, size, &meta[gi].Columns[pc.index], pc, n, t.c) {
					var kp *TimeKind
					if pc.role == roleTime {
						kp = &gr.kind
					}
					t.err = decodeColumn(g.ColumnChunks()[pc.index], pc, n, kp, t.c)
				}
				if t.err != nil || t.c.err != nil {
					for {
						f := failed.Load()
						if int64(gi) >= f || failed.CompareAndSwap(f, int64(gi)) {
							break
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	return res, nil
}

func pqTimeColumn(pc *pqColumn, typ parquet.Type) (TimeKind, error) {
	lt := typ.LogicalType()
	ct := typ.ConvertedType()
	switch typ.Kind() {
	case parquet.Int64:
		unit := time64Unit(lt, ct)
		if unit == 0 {
			return TimeInt, nil
		}
		pc.unitDiv = unit
		return TimeStamp, nil
	case parquet.Int32:
		if (lt != nil && lt.Value != nil && isDate(lt)) || (ct != nil && *ct == deprecated.Date) {
			pc.date = true
			return TimeStamp, nil
		}
		return TimeInt, nil
	case parquet.ByteArray:
		pc.text = true
		return TimeUnset, nil
	}
	return 0, fmt.Errorf("column %s: type %v cannot hold times", pc.name, typ)
}

func isDate(lt *format.LogicalType) bool {
	_, ok := lt.Value.(*format.DateType)
	return ok
}

// time64Unit returns how many raw units make a millisecond, or 0 for a
// plain integer.
func time64Unit(lt *format.LogicalType, ct *deprecated.ConvertedType) int64 {
	if lt != nil {
		if ts, ok := lt.Value.(*format.TimestampType); ok {
			switch ts.Unit.Value.(type) {
			case *format.MilliSeconds:
				return 1
			case *format.MicroSeconds:
				return 1000
			case *format.NanoSeconds:
				return 1_000_000
			}
		}
	}
	if ct != nil {
		switch *ct {
		case deprecated.TimestampMillis:
			return 1
		case deprecated.TimestampMicros:
			return 1000
		}
	}
	return 0
}

// decodeColumn decodes column pc of a row group of n rows with the
// generic page reader into its view in c; kind is the row group's time
// kind (for the time column only). A bad value is recorded in c (c.fail,
// row relative to the row group); other errors are returned.
func decodeColumn(cc parquet.ColumnChunk, pc *pqColumn, n int, kind *TimeKind, c *chunk) error {
	pages := cc.Pages()
	defer pages.Close()
	row := int64(0)
	var trans []int32 // dictionary index -> local series
	var lastDict parquet.Dictionary
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("column %s: %w", pc.name, err)
		}
		if nn := p.NumNulls(); nn > 0 {
			at := firstNull(p)
			parquet.Release(p)
			c.fail(row+int64(at)+1, "column %s: null value", pc.name)
			return nil
		}
		data := p.Data()
		dict := p.Dictionary()
		cnt := int(p.NumValues())
		switch {
		case pc.role == roleID:
			if dict != nil {
				if dict != lastDict {
					lastDict = dict
					trans = trans[:0]
					for range dict.Len() {
						trans = append(trans, -1)
					}
				}
				idsFromDict(c, data.Int32(), dict, trans)
			} else {
				idsPlain(c, data)
			}
		case pc.role == roleTime:
			msg := timesFrom(c, pc, data, dict, kind)
			if msg != "" {
				parquet.Release(p)
				c.fail(row+1, "column %s: %s", pc.name, msg)
				return nil
			}
		default:
			dst := &c.y
			if pc.role >= 0 {
				dst = &c.exog[pc.role]
			}
			if at := floatsFrom(dst, data, dict); at >= 0 {
				parquet.Release(p)
				c.fail(row+int64(at)+1, "column %s: not a finite number", pc.name)
				return nil
			}
		}
		row += int64(cnt)
		parquet.Release(p)
	}
	if int(row) != n {
		return fmt.Errorf("column %s has %d values for %d rows", pc.name, row, n)
	}
	return nil
}

func firstNull(p parquet.Page) int {
	for i, d := range p.DefinitionLevels() {
		if d == 0 {
			return i
		}
	}
	return 0
}

func idsFromDict(c *chunk, idx []int32, dict parquet.Dictionary, trans []int32) {
	prev := int32(-1)
	for _, k := range idx {
		if k == prev && len(c.runs) > 0 {
			c.runs[len(c.runs)-1].n++
			continue
		}
		prev = k
		loc := trans[k]
		if loc < 0 {
			v := dict.Index(k)
			var id string
			if v.Kind() == parquet.ByteArray {
				id = string(v.ByteArray())
			} else {
				id = v.String()
			}
			if l, ok := c.local[id]; ok {
				loc = l
			} else {
				loc = int32(len(c.ids))
				c.ids = append(c.ids, id)
				c.local[id] = loc
			}
			trans[k] = loc
		}
		c.cur = -1 // runs from dictionaries bypass chunk.series
		if n := len(c.runs); n > 0 && c.runs[n-1].series == loc {
			c.runs[n-1].n++
		} else {
			c.runs = append(c.runs, run{series: loc, n: 1})
		}
	}
}

func idsPlain(c *chunk, data encoding.Values) {
	switch data.Kind() {
	case encoding.ByteArray:
		b, off := data.ByteArray()
		for i := 0; i+1 < len(off); i++ {
			c.series(b[off[i]:off[i+1]])
		}
	case encoding.Int32:
		var buf [20]byte
		for _, v := range data.Int32() {
			c.series(appendInt(buf[:0], int64(v)))
		}
	case encoding.Int64:
		var buf [20]byte
		for _, v := range data.Int64() {
			c.series(appendInt(buf[:0], v))
		}
	}
}

func appendInt(b []byte, v int64) []byte {
	return fmt.Appendf(b, "%d", v)
}

// timesFrom appends the times of one page; it returns an error message for
// a value it cannot read.
func timesFrom(c *chunk, pc *pqColumn, data encoding.Values, dict parquet.Dictionary, kind *TimeKind) string {
	if dict != nil {
		for _, k := range data.Int32() {
			v := dict.Index(k)
			t, msg := timeValue(pc, v, kind)
			if msg != "" {
				return msg
			}
			c.times = append(c.times, t)
		}
		return ""
	}
	switch {
	case pc.text:
		b, off := data.ByteArray()
		for i := 0; i+1 < len(off); i++ {
			s := b[off[i]:off[i+1]]
			t, k, ok := parseTime(s, *kind)
			if !ok {
				return fmt.Sprintf("cannot parse %q as %s", s, timeWant(*kind))
			}
			*kind = k
			c.times = append(c.times, t)
		}
	case pc.date:
		for _, d := range data.Int32() {
			c.times = append(c.times, int64(d)*msPerDay)
		}
	case data.Kind() == encoding.Int64:
		v := data.Int64()
		if pc.unitDiv <= 1 {
			c.times = append(c.times, v...)
		} else {
			for _, x := range v {
				c.times = append(c.times, floorDiv(x, pc.unitDiv))
			}
		}
	case data.Kind() == encoding.Int32:
		for _, x := range data.Int32() {
			c.times = append(c.times, int64(x))
		}
	}
	return ""
}

func timeValue(pc *pqColumn, v parquet.Value, kind *TimeKind) (int64, string) {
	switch {
	case pc.text:
		t, k, ok := parseTime(v.ByteArray(), *kind)
		if !ok {
			return 0, fmt.Sprintf("cannot parse %q as %s", v.ByteArray(), timeWant(*kind))
		}
		*kind = k
		return t, ""
	case pc.date:
		return int64(v.Int32()) * msPerDay, ""
	case v.Kind() == parquet.Int64:
		if pc.unitDiv > 1 {
			return floorDiv(v.Int64(), pc.unitDiv), ""
		}
		return v.Int64(), ""
	}
	return int64(v.Int32()), ""
}

// floatsFrom appends a page of numbers to *dst; it returns the index of a
// non-finite value, or -1.
func floatsFrom(dst *[]float64, data encoding.Values, dict parquet.Dictionary) int {
	start := len(*dst)
	if dict != nil {
		for _, k := range data.Int32() {
			v := dict.Index(k)
			var x float64
			switch v.Kind() {
			case parquet.Double:
				x = v.Double()
			case parquet.Float:
				x = float64(v.Float())
			case parquet.Int32:
				x = float64(v.Int32())
			default:
				x = float64(v.Int64())
			}
			*dst = append(*dst, x)
		}
	} else {
		switch data.Kind() {
		case encoding.Double:
			*dst = append(*dst, data.Double()...)
		case encoding.Float:
			for _, x := range data.Float() {
				*dst = append(*dst, float64(x))
			}
		case encoding.Int32:
			for _, x := range data.Int32() {
				*dst = append(*dst, float64(x))
			}
		case encoding.Int64:
			for _, x := range data.Int64() {
				*dst = append(*dst, float64(x))
			}
		}
	}
	for i, x := range (*dst)[start:] {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return i
		}
	}
	return -1
}

// reorder returns names in the order of order when order lists exactly
// the same names, else names unchanged.
func reorder(names, order []string) []string {
	if len(order) != len(names) {
		return names
	}
	a, b := slices.Clone(names), slices.Clone(order)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		return names
	}
	return order
}
