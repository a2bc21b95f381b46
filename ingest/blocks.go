package ingest

import (
	"bytes"
	"fmt"
	"io"
)

// blockParser parses one block of whole lines into a chunk. Each worker
// has its own parser (scratch space), so parse need not be reentrant.
type blockParser interface {
	parse(c *chunk, block []byte)
}

// defaultBlockSize is the unit of parallel parsing: big enough that the
// per-block overhead vanishes, small enough that a few in flight cost little
// memory.
const defaultBlockSize = 4 << 20

type blockJob struct {
	buf   []byte // owning buffer (returned to the pool)
	block []byte // whole lines of buf
	c     *chunk
	done  chan struct{}
}

// blockSource yields blocks of whole lines (the last one may lack its
// final line break).
type blockSource interface {
	// next returns the next block and the buffer owning it (nil when the
	// block is a view of mapped memory); eof marks the last block.
	next() (block, owner []byte, eof bool, err error)
	// done hands back a block once parsed and merged.
	done(block, owner []byte)
}

// readerSource copies blocks out of an io.Reader into pooled buffers.
type readerSource struct {
	r         io.Reader
	name      string
	carry     []byte
	blockSize int
	bufs      chan []byte
}

func (s *readerSource) next() (block, owner []byte, eof bool, err error) {
	var buf []byte
	select {
	case buf = <-s.bufs:
	default:
		buf = make([]byte, 0, max(s.blockSize, 2*len(s.carry)))
	}
	buf = append(buf[:0], s.carry...)
	for {
		if len(buf) == cap(buf) {
			if bytes.IndexByte(buf, '\n') >= 0 {
				break
			}
			buf = append(buf, 0)[:len(buf)] // one line longer than the buffer: grow
		}
		n, err := s.r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			s.carry = s.carry[:0]
			return buf, buf, true, nil
		}
		if err != nil {
			return nil, nil, false, fmt.Errorf("%s: read: %w", s.name, err)
		}
	}
	last := bytes.LastIndexByte(buf, '\n')
	s.carry = append(s.carry[:0], buf[last+1:]...)
	return buf[:last+1], buf, false, nil
}

func (s *readerSource) done(_, owner []byte) {
	select {
	case s.bufs <- owner:
	default:
	}
}

// memSource cuts mapped file contents without copying.
type memSource struct {
	data      []byte
	pos       int
	blockSize int
}

func (s *memSource) next() (block, owner []byte, eof bool, err error) {
	end := min(s.pos+s.blockSize, len(s.data))
	if end < len(s.data) {
		if i := bytes.LastIndexByte(s.data[s.pos:end], '\n'); i >= 0 {
			end = s.pos + i + 1
		} else if i := bytes.IndexByte(s.data[end:], '\n'); i >= 0 {
			end += i + 1
		} else {
			end = len(s.data)
		}
	}
	block = s.data[s.pos:end]
	s.pos = end
	return block, nil, end == len(s.data), nil
}

func (s *memSource) done(block, _ []byte) { dropPages(block) }

// readBlocks parses the blocks of src on workers goroutines with parsers
// from newParser and adds the chunks to b in file order. linesBefore is
// the number of lines before the first block (for line numbers of
// errors). The first error in file order is returned.
func readBlocks(src blockSource, b *builder, newParser func() blockParser, workers int, linesBefore int64) error {
	if workers < 1 {
		workers = 1
	}
	nexog := len(b.f.ExogNames)
	inflight := workers + 2
	chunks := make(chan *chunk, inflight+1)
	jobs := make(chan *blockJob, inflight)
	order := make(chan *blockJob, inflight)
	stop := make(chan struct{})
	readErr := make(chan error, 1)

	go func() {
		defer close(order)
		defer close(jobs)
		for {
			block, owner, eof, err := src.next()
			if err != nil {
				readErr <- err
				return
			}
			var c *chunk
			select {
			case c = <-chunks:
				c.reset()
			default:
				c = newChunk(nexog)
			}
			j := &blockJob{buf: owner, block: block, c: c, done: make(chan struct{})}
			select {
			case order <- j:
			case <-stop:
				return
			}
			jobs <- j
			if eof {
				return
			}
		}
	}()
	for range workers {
		p := newParser()
		go func() {
			for j := range jobs {
				p.parse(j.c, j.block)
				close(j.done)
			}
		}()
	}

	var firstErr error
	for j := range order {
		<-j.done
		if firstErr == nil {
			if c := j.c; c.err != nil {
				e := *c.err
				e.File, e.Line, e.Kind = b.f.Source, linesBefore+c.errRel, "line"
				firstErr = &e
			} else if err := b.add(c, len(j.block)); err != nil {
				firstErr = err
			}
			if firstErr != nil {
				close(stop)
			}
		}
		linesBefore += j.c.lines
		src.done(j.block, j.buf)
		select {
		case chunks <- j.c:
		default:
		}
	}
	if firstErr != nil {
		return firstErr
	}
	select {
	case err := <-readErr:
		return err
	default:
	}
	return nil
}

// newSource returns a memSource over mem when it is set, else a
// readerSource over r.
func newSource(r io.Reader, mem []byte, name string, blockSize int) blockSource {
	if blockSize < 1<<10 {
		blockSize = 1 << 10
	}
	if mem != nil {
		return &memSource{data: mem, blockSize: blockSize}
	}
	return &readerSource{r: r, name: name, blockSize: blockSize, bufs: make(chan []byte, 8)}
}

// lineIter walks the lines of a block, counting them.
type lineIter struct {
	b   []byte
	pos int
	rel int64 // 1-based number of the line last returned
}

// next returns the next line without its line break (and a trailing '\r'),
// or ok=false at the end of the block.
func (it *lineIter) next() (line []byte, ok bool) {
	if it.pos >= len(it.b) {
		return nil, false
	}
	rest := it.b[it.pos:]
	e := bytes.IndexByte(rest, '\n')
	if e < 0 {
		line = rest
		it.pos = len(it.b)
	} else {
		line = rest[:e]
		it.pos += e + 1
	}
	it.rel++
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, true
}

// isBlank reports whether a line holds only spaces and tabs.
func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}
