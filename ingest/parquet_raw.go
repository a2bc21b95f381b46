package ingest

import (
	"hash/crc32"
	"io"
	"math"
	"unsafe"

	"github.com/klauspost/compress/snappy"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// The raw path decodes the common numeric column chunk straight from the
// file bytes into the frame's columns: 8-byte values (INT64 or DOUBLE),
// PLAIN-encoded, uncompressed or snappy, without nulls. A snappy page is
// decompressed directly into the frame, with no intermediate page buffer,
// copy or per-value work beyond the finiteness check (and the unit
// conversion of timestamps). Any other chunk — dictionary pages, other
// encodings or codecs, nulls, a checksum or size that does not add up — is
// declined before anything is reported, and the generic page reader
// (decodeColumn) decodes it, so errors stay exactly those of parquet-go and
// of the generic path.

// littleEndian: Parquet's PLAIN values are little-endian; the raw path
// reinterprets them in place only on little-endian machines.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// pqWindow reads a column chunk of the file through a bounded buffer
// (a column chunk of a big row group is hundreds of MB).
type pqWindow struct {
	r        io.ReaderAt
	off, end int64 // file offset of the next byte to read, end of the chunk
	buf      []byte
	lo, hi   int // unread bytes: buf[lo:hi]
}

func (w *pqWindow) reset(r io.ReaderAt, off, n int64) {
	w.r, w.off, w.end, w.lo, w.hi = r, off, off+n, 0, 0
}

// left is the number of unread bytes of the chunk.
func (w *pqWindow) left() int64 { return int64(w.hi-w.lo) + w.end - w.off }

// peek returns the next unread bytes, at least min(k, left()) of them
// (valid until the next peek), or false on a read error.
func (w *pqWindow) peek(k int) ([]byte, bool) {
	if k > w.hi-w.lo && w.off < w.end {
		n := copy(w.buf, w.buf[w.lo:w.hi])
		w.lo, w.hi = 0, n
		if k > len(w.buf) {
			b := make([]byte, max(k, 2*len(w.buf), 1<<20))
			copy(b, w.buf[:n])
			w.buf = b
		}
		m := int(min(int64(len(w.buf)-n), w.end-w.off))
		if got, err := w.r.ReadAt(w.buf[n:n+m], w.off); got < m {
			_ = err // the generic path reports it
			return nil, false
		}
		w.off += int64(m)
		w.hi += m
	}
	return w.buf[w.lo:w.hi], true
}

func (w *pqWindow) skip(k int) { w.lo += k }

// rawEligible reports whether the raw path may try column pc of a chunk
// with metadata cc.
func rawEligible(pc *pqColumn, cc *format.ColumnChunk) bool {
	if !littleEndian || pc.role == roleID || pc.text || pc.date || pc.maxRep != 0 || pc.maxDef > 1 {
		return false
	}
	md := &cc.MetaData
	if cc.FilePath != "" || cc.CryptoMetadata.Value != nil || len(cc.EncryptedColumnMetadata) > 0 {
		return false
	}
	if md.Codec != format.Uncompressed && md.Codec != format.Snappy {
		return false
	}
	switch md.Type {
	case format.Int64:
		return true
	case format.Double:
		return pc.role != roleTime
	}
	return false
}

// rawChunkRange is the file range of a column chunk, as parquet-go reads it.
func rawChunkRange(md *format.ColumnMetaData) (off, n int64) {
	off = md.DataPageOffset
	if md.DictionaryPageOffset != 0 {
		off = md.DictionaryPageOffset
	}
	return off, md.TotalCompressedSize
}

// rawDecoder holds one worker's buffers.
type rawDecoder struct {
	w       pqWindow
	scratch []byte // a decompressed v1 page with definition levels
}

// maxPageHeader is the most bytes of a page header the raw path reads (a
// longer one, with large statistics, goes to the generic path).
const maxPageHeader = 64 << 10

// decode writes the rows values of the column chunk in d.w to out (8·rows
// bytes). It returns false, with out in any state, when the chunk is not
// one the raw path handles.
func (d *rawDecoder) decode(codec format.CompressionCodec, maxDef, rows int, out []byte) bool {
	var proto thrift.CompactProtocol
	got := 0
	for d.w.left() > 0 {
		var h format.PageHeader
		hb, ok := d.w.peek(maxPageHeader)
		if !ok {
			return false
		}
		pr := proto.NewReaderFromBytes(hb)
		if err := thrift.NewDecoder(pr).Decode(&h); err != nil {
			return false
		}
		d.w.skip(pr.BytesRead())
		size := int(h.CompressedPageSize)
		if h.CompressedPageSize < 0 || h.UncompressedPageSize < 0 || int64(size) > d.w.left() {
			return false
		}
		page, ok := d.w.peek(size)
		if !ok || len(page) < size {
			return false
		}
		page = page[:size]
		d.w.skip(size)
		if h.CRC != 0 && int32(crc32.ChecksumIEEE(page)) != h.CRC {
			return false
		}
		compressed := codec == format.Snappy
		var vals []byte
		var nv int
		switch {
		case h.Type == format.DataPage && h.DataPageHeader.Valid:
			v := &h.DataPageHeader.V
			if v.Encoding != format.Plain {
				return false
			}
			nv = int(v.NumValues)
			vals = page
			if maxDef > 0 {
				if v.DefinitionLevelEncoding != format.RLE {
					return false
				}
				if compressed {
					n, err := snappy.DecodedLen(page)
					if err != nil {
						return false
					}
					if cap(d.scratch) < n {
						d.scratch = make([]byte, n)
					}
					if vals, err = snappy.Decode(d.scratch[:n], page); err != nil {
						return false
					}
					compressed = false
				}
				if len(vals) < 4 {
					return false
				}
				l := int(uint32(vals[0]) | uint32(vals[1])<<8 | uint32(vals[2])<<16 | uint32(vals[3])<<24)
				if l < 0 || l > len(vals)-4 || !allDefined(vals[4:4+l], nv) {
					return false
				}
				vals = vals[4+l:]
			}
		case h.Type == format.DataPageV2 && h.DataPageHeaderV2.Valid:
			v := &h.DataPageHeaderV2.V
			if v.Encoding != format.Plain || v.RepetitionLevelsByteLength != 0 || v.NumNulls != 0 || v.NumRows != v.NumValues {
				return false
			}
			nv = int(v.NumValues)
			dl := int(v.DefinitionLevelsByteLength)
			if dl < 0 || dl > len(page) || (maxDef == 0 && dl > 0) || (maxDef > 0 && !allDefined(page[:dl], nv)) {
				return false
			}
			vals = page[dl:]
			compressed = compressed && (!v.IsCompressed.Valid || v.IsCompressed.V)
		default:
			return false // dictionary or index pages: the generic path
		}
		if nv < 0 || nv > rows-got {
			return false
		}
		dst := out[8*got : 8*(got+nv)]
		if compressed {
			n, err := snappy.DecodedLen(vals)
			if err != nil || n != len(dst) {
				return false
			}
			if n > 0 {
				r, err := snappy.Decode(dst, vals)
				if err != nil || len(r) != n || &r[0] != &dst[0] {
					return false
				}
			}
		} else {
			if len(vals) != len(dst) {
				return false
			}
			copy(dst, vals)
		}
		got += nv
	}
	return got == rows
}

// allDefined reports whether RLE/bit-packed hybrid definition levels of
// bit width 1 start with n ones (no nulls among n values).
func allDefined(b []byte, n int) bool {
	for n > 0 {
		h, k := uvarint(b)
		if k <= 0 {
			return false
		}
		b = b[k:]
		if h&1 == 0 { // RLE run: count, then the value in one byte
			if len(b) < 1 || b[0] != 1 {
				return false
			}
			b = b[1:]
			n -= int(min(h>>1, uint64(n)))
			continue
		}
		groups := int(min(h>>1, uint64(len(b)))) // 8 values per byte at width 1
		for _, x := range b[:groups] {
			if n >= 8 {
				if x != 0xff {
					return false
				}
				n -= 8
			} else if n > 0 {
				if x&(1<<n-1) != 1<<n-1 {
					return false
				}
				n = 0
			}
		}
		if groups < int(h>>1) && n > 0 {
			return false
		}
		b = b[groups:]
	}
	return true
}

func uvarint(b []byte) (uint64, int) {
	var x uint64
	for i, c := range b {
		if i == 10 {
			return 0, -1
		}
		x |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return x, i + 1
		}
	}
	return 0, 0
}

// rawColumn decodes column pc of a row group of n rows with the raw path
// into its view in c (c.times, c.y or c.exog). It returns false, leaving
// the view empty, when the chunk must go through the generic path.
func (d *rawDecoder) column(r io.ReaderAt, size int64, cc *format.ColumnChunk, pc *pqColumn, n int, c *chunk) bool {
	if !rawEligible(pc, cc) {
		return false
	}
	off, length := rawChunkRange(&cc.MetaData)
	if off < 0 || length < 0 || off > size || length > size-off {
		return false
	}
	d.w.reset(r, off, length)
	switch pc.role {
	case roleTime:
		t := c.times[:n]
		if !d.decode(cc.MetaData.Codec, pc.maxDef, n, asBytes(t)) {
			return false
		}
		if pc.unitDiv > 1 {
			for i, x := range t {
				t[i] = floorDiv(x, pc.unitDiv)
			}
		}
		c.times = t
	default:
		dst := &c.y
		if pc.role >= 0 {
			dst = &c.exog[pc.role]
		}
		v := (*dst)[:n]
		if !d.decode(cc.MetaData.Codec, pc.maxDef, n, asBytes(v)) {
			return false
		}
		if cc.MetaData.Type == format.Int64 {
			for i, x := range v {
				v[i] = float64(int64(math.Float64bits(x)))
			}
		} else if at := firstNonFinite(v); at >= 0 {
			c.fail(int64(at)+1, "column %s: not a finite number", pc.name)
		}
		*dst = v
	}
	return true
}

// firstNonFinite is the index of the first NaN or ±Inf in v, or -1.
func firstNonFinite(v []float64) int {
	const expMask = 0x7ff << 52
	for i, x := range v {
		if math.Float64bits(x)&expMask == expMask {
			return i
		}
	}
	return -1
}

// asBytes views the 8-byte values of s as bytes.
func asBytes[T int64 | float64](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), 8*len(s))
}
