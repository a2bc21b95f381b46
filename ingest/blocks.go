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

// readBlocks cuts r (preceded by the bytes of initial, which need not end
// at a line break) into blocks of whole lines, parses them on workers
// goroutines with parsers from newParser and adds the chunks to b in file
// order. linesBefore is the number of lines before initial (for line
// numbers of errors). The first error in file order is returned.
func readBlocks(r io.Reader, initial []byte, b *builder, newParser func() blockParser,
	workers, blockSize int, linesBefore int64) error {
	if workers < 1 {
		workers = 1
	}
	if blockSize < 1<<10 {
		blockSize = 1 << 10
	}
	nexog := len(b.f.ExogNames)
	inflight := workers + 2
	bufs := make(chan []byte, inflight+1)
	chunks := make(chan *chunk, inflight+1)
	jobs := make(chan *blockJob, inflight)
	order := make(chan *blockJob, inflight)
	stop := make(chan struct{})
	readErr := make(chan error, 1)

	go func() {
		defer close(order)
		defer close(jobs)
		carry := append([]byte(nil), initial...)
		for {
			var buf []byte
			select {
			case buf = <-bufs:
			default:
				buf = make([]byte, 0, max(blockSize, 2*len(carry)))
			}
			buf = append(buf[:0], carry...)
			eof := false
			for {
				if len(buf) == cap(buf) {
					if bytes.IndexByte(buf, '\n') >= 0 {
						break
					}
					// One line longer than the buffer: grow.
					buf = append(buf, 0)[:len(buf)]
				}
				n, err := r.Read(buf[len(buf):cap(buf)])
				buf = buf[:len(buf)+n]
				if err == io.EOF {
					eof = true
					break
				}
				if err != nil {
					readErr <- fmt.Errorf("%s: read: %w", b.f.Source, err)
					return
				}
			}
			var block []byte
			if eof {
				block, carry = buf, carry[:0]
			} else {
				last := bytes.LastIndexByte(buf, '\n')
				block = buf[:last+1]
				carry = append(carry[:0], buf[last+1:]...)
			}
			var c *chunk
			select {
			case c = <-chunks:
				c.reset()
			default:
				c = newChunk(nexog)
			}
			j := &blockJob{buf: buf, block: block, c: c, done: make(chan struct{})}
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
		select {
		case bufs <- j.buf:
		default:
		}
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
