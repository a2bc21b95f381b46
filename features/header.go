package features

import (
	"encoding/binary"
	"fmt"
)

// hdrLen is the size of the state header at the start of a series' blob:
//
//	[0, 16)   config fingerprint (see Config.fingerprint), zero padded
//	[16, 24)  count of applied events, uint64 LE
//	[24, 32)  event time of the last applied event, unix ms, int64 LE
//	[32, 40)  source offset of the last applied event (-1 = none), int64 LE
//	[40, 44)  source partition of the last applied event, int32 LE
//	[44, 48)  zero
const hdrLen = 48

const fpLen = 16

// header is the decoded state header.
type header struct {
	count    int64
	lastTS   int64
	lastOff  int64
	lastPart int32
}

// encode appends the header bytes under fingerprint fp to dst.
func (h *header) encode(dst []byte, fp string) []byte {
	var b [hdrLen]byte
	copy(b[:fpLen], fp)
	binary.LittleEndian.PutUint64(b[16:], uint64(h.count))
	binary.LittleEndian.PutUint64(b[24:], uint64(h.lastTS))
	binary.LittleEndian.PutUint64(b[32:], uint64(h.lastOff))
	binary.LittleEndian.PutUint32(b[40:], uint32(h.lastPart))
	return append(dst, b[:]...)
}

// decodeHeader parses a stored header written under fingerprint fp. A
// header of another fingerprint yields an error wrapping ErrConfigMismatch.
func decodeHeader(b string, fp string) (header, error) {
	if len(b) != hdrLen {
		return header{}, fmt.Errorf("corrupt state: header of %d bytes, want %d", len(b), hdrLen)
	}
	stored := b[:fpLen]
	for len(stored) > 0 && stored[len(stored)-1] == 0 {
		stored = stored[:len(stored)-1]
	}
	if stored != fp {
		return header{}, fmt.Errorf("%w: stored state has layout %q, store uses %q", ErrConfigMismatch, stored, fp)
	}
	h := header{
		count:    int64(binary.LittleEndian.Uint64([]byte(b[16:24]))),
		lastTS:   int64(binary.LittleEndian.Uint64([]byte(b[24:32]))),
		lastOff:  int64(binary.LittleEndian.Uint64([]byte(b[32:40]))),
		lastPart: int32(binary.LittleEndian.Uint32([]byte(b[40:44]))),
	}
	if h.count < 1 || h.count > maxAbsMillis {
		return header{}, fmt.Errorf("corrupt state: count %d", h.count)
	}
	return h, nil
}
