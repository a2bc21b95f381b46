package sink

import (
	"math"
	"time"
)

// Encoder encodes batches of forecasts like Encode, memoizing the text of
// recently formatted numbers and timestamps. Forecast batches repeat both
// heavily: the horizon timestamps of series observed at the same time are
// identical, and models such as seasonal naive repeat input values across
// steps and across successive forecasts of a series, while shortest
// round-trip float formatting and RFC 3339 formatting dominate the
// encoding cost. The memo is exact: a hit returns the bytes that formatting
// the same float64 bits or the same instant produced, so the output is
// byte-identical to AppendJSON.
//
// The zero value is ready to use; an Encoder is not safe for concurrent
// use (give each goroutine its own).
type Encoder struct {
	arena []byte
	nums  [numSlots]memo
	times [timeSlots]timeMemo
	// dates memoizes "YYYY-MM-DDT" by day number (days since the epoch)
	// for whole-second times; direct-mapped, since successive forecasts
	// of different series interleave their days.
	dates [dateSlots]dateMemo
}

const dateSlots = 256

// dateMemo holds the date prefix of day+1 (0: empty slot).
type dateMemo struct {
	day1 int64
	b    [11]byte
}

const (
	numBits   = 12
	numSlots  = 1 << numBits
	timeBits  = 11
	timeSlots = 1 << timeBits
	memoCap   = 31
)

// memo is one direct-mapped cache slot: the text of key, n bytes (n == 0:
// empty slot).
type memo struct {
	key uint64
	n   uint8
	b   [memoCap]byte
}

type timeMemo struct {
	sec  int64
	nsec int32
	n    uint8
	b    [memoCap]byte
}

// Encode sets fs[i].JSON for every forecast (see the package function
// Encode). The slices point into the Encoder's arena, which the next call
// reuses: they stay valid until then.
func (e *Encoder) Encode(fs []Forecast) {
	arena := e.arena[:0]
	start := 0
	for i := range fs {
		fs[i].JSON = nil
		arena = appendJSON(arena, &fs[i], e)
		fs[i].JSON = arena[start:len(arena):len(arena)]
		start = len(arena)
	}
	e.arena = arena
}

// appendFloat is appendFloat, memoized when e != nil.
func (e *Encoder) appendFloat(b []byte, f float64) []byte {
	if e == nil {
		return appendFloat(b, f)
	}
	key := math.Float64bits(f)
	m := &e.nums[(key*0x9e3779b97f4a7c15)>>(64-numBits)]
	if m.n != 0 && m.key == key {
		return append(b, m.b[:m.n]...)
	}
	start := len(b)
	b = appendFloat(b, f)
	if n := len(b) - start; n <= memoCap {
		m.key, m.n = key, uint8(n)
		copy(m.b[:], b[start:])
	}
	return b
}

// appendTime is appendTime, faster when e != nil: whole-second instants
// from 1970 to 9999 (every horizon step of the usual frequencies) are
// written as the memoized date of their day plus "hh:mm:ss" and "Z",
// which is exactly RFC 3339 with no fractional part; other instants go
// through a memo of recent texts.
func (e *Encoder) appendTime(b []byte, t time.Time) []byte {
	if e == nil {
		return appendTime(b, t)
	}
	sec, nsec := t.Unix(), int32(t.Nanosecond())
	if nsec == 0 && sec >= 0 && sec < maxFastSec {
		day := sec / 86400
		d := &e.dates[uint64(day)%dateSlots]
		if d.day1 != day+1 {
			time.Unix(day*86400, 0).UTC().AppendFormat(d.b[:0], "2006-01-02T")
			d.day1 = day + 1
		}
		b = append(b, d.b[:]...)
		tod := int(sec - day*86400)
		h, m, s := tod/3600, tod/60%60, tod%60
		return append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10), 'Z')
	}
	m := &e.times[(uint64(sec)*0x9e3779b97f4a7c15+uint64(nsec))>>(64-timeBits)]
	if m.n != 0 && m.sec == sec && m.nsec == nsec {
		return append(b, m.b[:m.n]...)
	}
	start := len(b)
	b = appendTime(b, t)
	if n := len(b) - start; n <= memoCap {
		m.sec, m.nsec, m.n = sec, nsec, uint8(n)
		copy(m.b[:], b[start:])
	}
	return b
}

// maxFastSec is 10000-01-01T00:00:00Z: later years have more than four
// digits, which the fast path does not write.
const maxFastSec = 253402300800
