package ingest

import (
	"fmt"
	"math"
	"slices"
	"unsafe"
)

// run is a stretch of consecutive file rows of one series.
type run struct {
	series int32
	n      int32
}

// chunk is what a parser produced from one block of rows: columns in file
// order, the series of each row as runs of local series numbers, and the
// first error met (its line relative to the block).
type chunk struct {
	times  []int64
	y      []float64
	exog   [][]float64
	runs   []run
	ids    []string // local series number -> id
	local  map[string]int32
	blanks []int32 // rows of the chunk preceded by a skipped blank line (one entry per line)
	lines  int64   // line breaks in the block
	err    *RowError
	errRel int64 // line of err relative to the block (1-based)

	cur    int32  // local series of the current run, -1 none
	curKey []byte // id bytes of the current run
}

func newChunk(nexog int) *chunk {
	return &chunk{exog: make([][]float64, nexog), local: map[string]int32{}, cur: -1}
}

func (c *chunk) reset() {
	c.times, c.y = c.times[:0], c.y[:0]
	for j := range c.exog {
		c.exog[j] = c.exog[j][:0]
	}
	c.runs, c.ids, c.blanks = c.runs[:0], c.ids[:0], c.blanks[:0]
	clear(c.local)
	c.lines, c.err, c.errRel, c.cur, c.curKey = 0, nil, 0, -1, c.curKey[:0]
}

// rows returns the number of rows parsed.
func (c *chunk) rows() int { return len(c.times) }

// series records that the next row belongs to id (bytes valid only during
// the call).
func (c *chunk) series(id []byte) {
	if c.cur >= 0 && string(id) == string(c.curKey) {
		c.runs[len(c.runs)-1].n++
		return
	}
	k, ok := c.local[string(id)]
	if !ok {
		k = int32(len(c.ids))
		s := string(id)
		c.ids = append(c.ids, s)
		c.local[s] = k
	}
	c.cur = k
	c.curKey = append(c.curKey[:0], id...)
	c.runs = append(c.runs, run{series: k, n: 1})
}

// fail records the first error of the chunk at block-relative line rel.
func (c *chunk) fail(rel int64, format string, args ...any) {
	if c.err == nil {
		c.err = &RowError{Msg: fmt.Sprintf(format, args...)}
		c.errRel = rel
	}
}

// builder accumulates chunks in file order and turns them into a Frame.
type builder struct {
	f         Frame
	index     map[string]int32
	runs      []run
	blanks    []int64 // global rows preceded by a skipped blank line
	firstLine int64   // line of row 0 when no blank line precedes it
	lineKind  string  // "line" or "row"
	sizeHint  int64   // input bytes, to size the columns once
	seenBytes int64
	grown     bool
}

func newBuilder(source string, exogNames []string, withY bool, firstLine int64, sizeHint int64) *builder {
	b := &builder{index: map[string]int32{}, firstLine: firstLine, lineKind: "line", sizeHint: sizeHint}
	b.f.Source = source
	b.f.ExogNames = exogNames
	if len(exogNames) > 0 {
		b.f.Exog = make([][]float64, len(exogNames))
	}
	if withY {
		b.f.Y = []float64{}
	}
	return b
}

// line returns the file line (or row number) of global row r.
func (b *builder) line(r int) int64 {
	k, _ := slices.BinarySearch(b.blanks, int64(r)+1) // entries <= r
	return b.firstLine + int64(r) + int64(k)
}

func (b *builder) rowErr(r int, format string, args ...any) *RowError {
	return &RowError{File: b.f.Source, Line: b.line(r), Kind: b.lineKind, Msg: fmt.Sprintf(format, args...)}
}

// reserve sizes the columns for n rows written in place by addInPlace.
func (b *builder) reserve(n int) {
	b.f.Time = growHuge(b.f.Time, n)[:n]
	if b.f.Y != nil {
		b.f.Y = growHuge(b.f.Y, n)[:n]
	}
	for j := range b.f.Exog {
		b.f.Exog[j] = growHuge(b.f.Exog[j], n)[:n]
	}
}

// views points c's columns at rows [base, base+n) of the reserved
// columns, empty with capacity n, so a decoder appends in place.
func (b *builder) views(c *chunk, base, n int) {
	c.times = b.f.Time[base : base : base+n]
	if b.f.Y != nil {
		c.y = b.f.Y[base : base : base+n]
	}
	for j := range b.f.Exog {
		c.exog[j] = b.f.Exog[j][base : base : base+n]
	}
}

// addInPlace records the series runs of a chunk whose columns were
// decoded in place (views) at rows [base, …).
func (b *builder) addInPlace(c *chunk) {
	b.addRuns(c)
}

// addRuns merges the series of chunk c into the global runs.
func (b *builder) addRuns(c *chunk) {
	var trans [64]int32
	tr := trans[:0]
	for _, id := range c.ids {
		g, ok := b.index[id]
		if !ok {
			g = int32(len(b.f.IDs))
			b.f.IDs = append(b.f.IDs, id)
			b.index[id] = g
		}
		tr = append(tr, g)
	}
	for _, r := range c.runs {
		g := tr[r.series]
		if n := len(b.runs); n > 0 && b.runs[n-1].series == g && int64(b.runs[n-1].n)+int64(r.n) <= math.MaxInt32 {
			b.runs[n-1].n += r.n
		} else {
			b.runs = append(b.runs, run{series: g, n: r.n})
		}
	}
}

// add appends chunk c; blockBytes is the size of the block it came from
// (used once to size the columns for the whole input).
func (b *builder) add(c *chunk, blockBytes int) error {
	base := len(b.f.Time)
	if base+c.rows() > math.MaxInt32 {
		return fmt.Errorf("%s: %w: more than %d rows", b.f.Source, ErrFileFormat, math.MaxInt32)
	}
	b.seenBytes += int64(blockBytes)
	if !b.grown && c.rows() > 0 && b.sizeHint > 0 {
		b.grown = true
		est := int(float64(b.sizeHint)/float64(blockBytes)*float64(c.rows())*1.02) + 1024
		b.f.Time = growHuge(b.f.Time, est)
		if b.f.Y != nil {
			b.f.Y = growHuge(b.f.Y, est)
		}
		for j := range b.f.Exog {
			b.f.Exog[j] = growHuge(b.f.Exog[j], est)
		}
	}
	b.addRuns(c)
	b.f.Time = append(b.f.Time, c.times...)
	if b.f.Y != nil {
		b.f.Y = append(b.f.Y, c.y...)
	}
	for j := range b.f.Exog {
		b.f.Exog[j] = append(b.f.Exog[j], c.exog[j]...)
	}
	for _, r := range c.blanks {
		b.blanks = append(b.blanks, int64(base)+int64(r))
	}
	return nil
}

// finish groups rows by series (stable, keeping file order within a
// series), sorts each series by time and rejects duplicated (id, ds)
// pairs, naming the lines of both rows.
func (b *builder) finish() (*Frame, error) {
	f := &b.f
	n := len(f.Time)
	if n == 0 {
		return nil, fmt.Errorf("%s: %w: no data rows", f.Source, ErrFileFormat)
	}
	ns := len(f.IDs)
	f.Offsets = make([]int, ns+1)
	var perm []int32 // position -> original row, nil while the identity
	if len(b.runs) == ns {
		// Each series is one contiguous stretch, in first-appearance order.
		pos := 0
		for i, r := range b.runs {
			if int(r.series) != i {
				return nil, fmt.Errorf("%s: internal error: run %d holds series %d", f.Source, i, r.series)
			}
			f.Offsets[i] = pos
			pos += int(r.n)
		}
		f.Offsets[ns] = pos
	} else {
		for _, r := range b.runs {
			f.Offsets[r.series+1] += int(r.n)
		}
		for i := range ns {
			f.Offsets[i+1] += f.Offsets[i]
		}
		cursor := slices.Clone(f.Offsets[:ns])
		perm = make([]int32, n)
		row := int32(0)
		for _, r := range b.runs {
			c := cursor[r.series]
			for k := range r.n {
				perm[c+int(k)] = row + k
			}
			cursor[r.series] = c + int(r.n)
			row += r.n
		}
		f.Time = gather(f.Time, perm)
		if f.Y != nil {
			f.Y = gather(f.Y, perm)
		}
		for j := range f.Exog {
			f.Exog[j] = gather(f.Exog[j], perm)
		}
	}
	b.runs = nil
	orig := func(pos int) int {
		if perm == nil {
			return pos
		}
		return int(perm[pos])
	}
	// Most series are already in time order without repeats: find the
	// others concurrently, then handle them in series order.
	check := make([]bool, ns)
	forSeriesParts(f.Offsets, func(_, lo, hi int) {
		for s := lo; s < hi; s++ {
			t := f.Time[f.Offsets[s]:f.Offsets[s+1]]
			for i := 1; i < len(t); i++ {
				if t[i] <= t[i-1] {
					check[s] = true
					break
				}
			}
		}
	})
	var idx []int32
	for s := range ns {
		if !check[s] {
			continue
		}
		lo, hi := f.Offsets[s], f.Offsets[s+1]
		t := f.Time[lo:hi]
		sorted := true
		for i := 1; i < len(t); i++ {
			if t[i] <= t[i-1] {
				if t[i] == t[i-1] {
					return nil, b.dupErr(f.IDs[s], t[i], orig(lo+i-1), orig(lo+i))
				}
				sorted = false
				break
			}
		}
		if sorted {
			continue
		}
		idx = idx[:0]
		for i := range t {
			idx = append(idx, int32(i))
		}
		slices.SortStableFunc(idx, func(a, c int32) int {
			switch {
			case t[a] < t[c]:
				return -1
			case t[a] > t[c]:
				return 1
			}
			return 0
		})
		for i := 1; i < len(idx); i++ {
			if t[idx[i]] == t[idx[i-1]] {
				return nil, b.dupErr(f.IDs[s], t[idx[i]], orig(lo+int(idx[i-1])), orig(lo+int(idx[i])))
			}
		}
		permuteInPlace(t, idx)
		if f.Y != nil {
			permuteInPlace(f.Y[lo:hi], idx)
		}
		for j := range f.Exog {
			permuteInPlace(f.Exog[j][lo:hi], idx)
		}
	}
	return f, nil
}

func (b *builder) dupErr(id string, t int64, first, second int) error {
	if first > second {
		first, second = second, first
	}
	return b.rowErr(second, "duplicated (unique_id, ds) = (%q, %s), first on %s %d", id, FormatTime(t, b.f.TimeKind), b.lineKind, b.line(first))
}

// growHuge is slices.Grow asking for transparent huge pages on the new,
// untouched backing array (fewer page faults while it fills).
func growHuge[T int64 | float64](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	g := make([]T, len(s), len(s)+n)
	adviseHuge(unsafe.Pointer(unsafe.SliceData(g)), 8*cap(g))
	copy(g, s)
	return g
}

// gather returns src[perm[i]] for every i in a new slice (src is released).
func gather[T any](src []T, perm []int32) []T {
	dst := make([]T, len(perm))
	for i, p := range perm {
		dst[i] = src[p]
	}
	return dst
}

// permuteInPlace sets x[i] = old x[idx[i]] using a scratch copy.
func permuteInPlace[T any](x []T, idx []int32) {
	tmp := slices.Clone(x)
	for i, p := range idx {
		x[i] = tmp[p]
	}
}
