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
//	[44, 48)  source topic of the last applied event, TopicID, uint32 LE
//	          (0 = unknown: no topic, or a state written before the topic
//	          was recorded; such offsets compare with any topic)
const hdrLen = 48

const fpLen = 16

// header is the decoded state header.
type header struct {
	count     int64
	lastTS    int64
	lastOff   int64
	lastPart  int32
	lastTopic uint32
}

// encode appends the header bytes under fingerprint fp to dst.
func (h *header) encode(dst []byte, fp string) []byte {
	var b [hdrLen]byte
	copy(b[:fpLen], fp)
	binary.LittleEndian.PutUint64(b[16:], uint64(h.count))
	binary.LittleEndian.PutUint64(b[24:], uint64(h.lastTS))
	binary.LittleEndian.PutUint64(b[32:], uint64(h.lastOff))
	binary.LittleEndian.PutUint32(b[40:], uint32(h.lastPart))
	binary.LittleEndian.PutUint32(b[44:], h.lastTopic)
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
		if !isLayout(stored) {
			return header{}, fmt.Errorf("corrupt state: unrecognised header layout %q", stored)
		}
		return header{}, fmt.Errorf("%w: stored state has layout %q, store uses %q", ErrConfigMismatch, stored, fp)
	}
	h := header{
		count:     int64(binary.LittleEndian.Uint64([]byte(b[16:24]))),
		lastTS:    int64(binary.LittleEndian.Uint64([]byte(b[24:32]))),
		lastOff:   int64(binary.LittleEndian.Uint64([]byte(b[32:40]))),
		lastPart:  int32(binary.LittleEndian.Uint32([]byte(b[40:44]))),
		lastTopic: binary.LittleEndian.Uint32([]byte(b[44:48])),
	}
	if h.count < 1 || h.count > maxAbsMillis {
		return header{}, fmt.Errorf("corrupt state: count %d", h.count)
	}
	return h, nil
}

// isLayout reports whether fp looks like a layout fingerprint ("v" and a
// version, then printable ASCII), as opposed to garbage bytes.
func isLayout(fp string) bool {
	if len(fp) < 2 || fp[0] != 'v' || fp[1] < '0' || fp[1] > '9' {
		return false
	}
	for i := 0; i < len(fp); i++ {
		if fp[i] < ' ' || fp[i] > '~' {
			return false
		}
	}
	return true
}

// TopicID identifies a source topic in the state header: the 32-bit FNV-1a
// hash of its name, never 0; the empty name (no topic) is 0, unknown.
// Offsets of one partition are only compared when the stored and the
// event's topic IDs are equal or either is unknown, so events of a renamed
// input topic (whose offsets restart at 0) are judged by event time alone.
// (Two names colliding, about one pair in 2^32, behave as one topic.)
func TopicID(topic string) uint32 {
	if topic == "" {
		return 0
	}
	h := uint32(2166136261)
	for i := 0; i < len(topic); i++ {
		h = (h ^ uint32(topic[i])) * 16777619
	}
	if h == 0 {
		h = 1
	}
	return h
}

// decide is the rule of Config.Step and Store.Apply for an event at source
// (topic ID, partition, offset) with event time ts, against the stored
// header h (h.count > 0):
//
//   - offsets are comparable when the event has one (off >= 0), the
//     partition is the stored one and the topic IDs are equal or either is
//     unknown;
//   - a comparable offset at or below the stored one is a Duplicate when
//     ts <= the stored last event time. With a newer ts it cannot be a
//     replay (every event seen before has a time at or before the stored
//     one: applied events are not after it, late ones were not after an
//     earlier one), so the log is not the one the state was built from (the
//     topic was recreated, or its log truncated and rewritten): the event is
//     Applied and regressed is true, so the caller can count and alert;
//   - otherwise it is Late when ts <= the stored last event time, else
//     Applied.
func decide(h *header, topic uint32, part int32, off, ts int64) (st Status, regressed bool) {
	if h.count == 0 {
		return Applied, false
	}
	if off >= 0 && part == h.lastPart && (topic == h.lastTopic || topic == 0 || h.lastTopic == 0) && off <= h.lastOff {
		if ts <= h.lastTS {
			return Duplicate, false
		}
		return Applied, true
	}
	if ts <= h.lastTS {
		return Late, false
	}
	return Applied, false
}
