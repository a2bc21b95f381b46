package ingest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/segmentio/kafka-go"

	"github.com/streamcast/streamcast/features"
)

// Codec decodes one Kafka message (key and value) into dst. Bad input
// yields a *PoisonError; implementations must be safe for concurrent use.
// Decode does not set dst.Source (see DecodeMessage).
type Codec interface {
	Decode(key, value []byte, dst *features.Observation) error
}

// DecodeMessage decodes msg with c and records the message position in
// dst.Source.
func DecodeMessage(c Codec, msg *kafka.Message, dst *features.Observation) error {
	if err := c.Decode(msg.Key, msg.Value, dst); err != nil {
		return err
	}
	dst.Source = features.SourcePos{Topic: msg.Topic, Partition: msg.Partition, Offset: msg.Offset}
	return nil
}

// Defaults of JSONCodec (used for zero-valued fields).
const (
	DefaultMaxBytes     = 64 << 10 // 64 KiB per message value
	DefaultMaxSeriesLen = 256      // bytes
	DefaultMaxExog      = 64       // exogenous variables per message
)

var (
	// DefaultMinTime is the earliest accepted event time. It is 1971 rather
	// than 1970 so that unix seconds sent by mistake as milliseconds (which
	// land in January 1970) are rejected as ts_out_of_range.
	DefaultMinTime = time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)
	// DefaultMaxTime is the latest accepted event time (exclusive).
	DefaultMaxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// JSONCodec decodes values of the form
//
//	{"series":"meter-17","ts":"2026-11-26T05:00:00Z","value":123.4,"exog":{"temp":3.2}}
//
// ts is an RFC 3339 string (any offset, optional fraction; converted to UTC)
// or unix milliseconds (a JSON number, or a string of digits). exog is
// optional; null values count as absent. Unknown fields are ignored.
// Duplicate fields: the last one wins.
//
// Key rule: an empty message key means "use series"; a non-empty key that
// differs from series is rejected with reason key_mismatch (the key decides
// the partition, so a mismatch would break per-series ordering).
//
// The zero value is ready to use with the documented defaults. The decoder
// is a hand-written scanner: no reflection, and no allocation except the
// series string (skipped when dst.Series already holds it) and the exog
// map and its keys. If dst.Exog is non-nil it is cleared and reused; set it
// to nil first if a previous map is still referenced elsewhere.
type JSONCodec struct {
	// MaxBytes bounds len(value) (default DefaultMaxBytes).
	MaxBytes int
	// MaxSeriesLen bounds the series id length in bytes (default DefaultMaxSeriesLen).
	MaxSeriesLen int
	// MaxExog bounds the number of exog entries (default DefaultMaxExog).
	MaxExog int
	// MinTime and MaxTime bound event times, [MinTime, MaxTime)
	// (defaults DefaultMinTime and DefaultMaxTime).
	MinTime, MaxTime time.Time
	// MaxFuture, if > 0, also rejects event times later than Now()+MaxFuture.
	MaxFuture time.Duration
	// Now is the clock for MaxFuture (default time.Now).
	Now func() time.Time
}

// Validate reports inconsistent settings.
func (c *JSONCodec) Validate() error {
	if c.MaxBytes < 0 || c.MaxSeriesLen < 0 || c.MaxExog < 0 || c.MaxFuture < 0 {
		return fmt.Errorf("ingest: JSONCodec limits must be >= 0")
	}
	if c.MaxSeriesLen > features.MaxSeriesLen || c.MaxExog > features.MaxExogPerObservation {
		return fmt.Errorf("ingest: JSONCodec MaxSeriesLen (%d) / MaxExog (%d) exceed the features limits %d / %d",
			c.MaxSeriesLen, c.MaxExog, features.MaxSeriesLen, features.MaxExogPerObservation)
	}
	lo, hi := c.timeBounds()
	if !lo.Before(hi) {
		return fmt.Errorf("ingest: JSONCodec MinTime %v must be before MaxTime %v", lo, hi)
	}
	return nil
}

func (c *JSONCodec) timeBounds() (time.Time, time.Time) {
	lo, hi := c.MinTime, c.MaxTime
	if lo.IsZero() {
		lo = DefaultMinTime
	}
	if hi.IsZero() {
		hi = DefaultMaxTime
	}
	return lo, hi
}

func orDefault(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

func poison(reason, format string, args ...any) *PoisonError {
	d := fmt.Sprintf(format, args...)
	if len(d) > 200 {
		d = d[:200] + "…"
	}
	return &PoisonError{Reason: reason, Detail: d}
}

// quote renders a byte snippet for error details, bounded.
func quote(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
	}
	return strconv.Quote(string(b))
}

// decodeState collects the fields while scanning.
type decodeState struct {
	hasSeries, hasTS, hasValue bool
	series                     []byte // raw or unescaped
	ts                         time.Time
	value                      float64
	semantic                   *PoisonError // first semantic problem; syntax errors take precedence
}

func (d *decodeState) fail(p *PoisonError) {
	if d.semantic == nil {
		d.semantic = p
	}
}

// Decode implements Codec.
func (c *JSONCodec) Decode(key, value []byte, dst *features.Observation) error {
	if dst == nil {
		return errors.New("ingest: JSONCodec.Decode needs a non-nil dst")
	}
	if maxB := orDefault(c.MaxBytes, DefaultMaxBytes); len(value) > maxB {
		return poison(ReasonOversized, "value is %d bytes, limit %d", len(value), maxB)
	}
	var st decodeState
	var kbuf [32]byte // unescape scratch for field names
	s := scanner{b: value}
	exogUsed := false
	s.ws()
	if !s.consume('{') {
		return s.syntax("expected '{'")
	}
	s.ws()
	if !s.consume('}') {
		for {
			s.ws()
			if !s.consume('"') {
				return s.syntax("expected field name")
			}
			k, esc, ok := s.str()
			if !ok {
				return s.syntax("bad string")
			}
			if esc {
				k = unescape(k, kbuf[:0])
			}
			s.ws()
			if !s.consume(':') {
				return s.syntax("expected ':'")
			}
			s.ws()
			var err *PoisonError
			switch string(k) {
			case "series":
				err = c.fieldSeries(&s, &st)
			case "ts":
				err = c.fieldTS(&s, &st)
			case "value":
				err = fieldValue(&s, &st)
			case "exog":
				exogUsed = true
				err = c.fieldExog(&s, &st, dst)
			default:
				if !s.skipValue(0) {
					err = s.syntax("bad value")
				}
			}
			if err != nil {
				return err
			}
			s.ws()
			if s.consume(',') {
				continue
			}
			if s.consume('}') {
				break
			}
			return s.syntax("expected ',' or '}'")
		}
	}
	s.ws()
	if s.i != len(s.b) {
		return s.syntax("trailing data after object")
	}
	if st.semantic != nil {
		return st.semantic
	}
	if !st.hasSeries {
		return poison(ReasonMissingSeries, "field \"series\" missing or null")
	}
	if !st.hasTS {
		return poison(ReasonMissingTS, "field \"ts\" missing or null")
	}
	if !st.hasValue {
		return poison(ReasonMissingValue, "field \"value\" missing or null")
	}
	if len(key) > 0 && string(key) != string(st.series) {
		return poison(ReasonKeyMismatch, "message key %s differs from series %s", quote(key), quote(st.series))
	}
	if dst.Series != string(st.series) {
		dst.Series = string(st.series)
	}
	dst.TS = st.ts
	dst.Value = st.value
	if !exogUsed && dst.Exog != nil {
		clear(dst.Exog)
	}
	return nil
}

func (c *JSONCodec) fieldSeries(s *scanner, st *decodeState) *PoisonError {
	if s.literal("null") {
		st.hasSeries = false
		return nil
	}
	if !s.consume('"') {
		if !s.skipValue(0) {
			return s.syntax("bad value")
		}
		st.fail(poison(ReasonBadSeries, "\"series\" must be a string"))
		return nil
	}
	raw, esc, ok := s.str()
	if !ok {
		return s.syntax("bad string")
	}
	if esc {
		raw = unescape(raw, nil) // rare: escaped series ids allocate
	}
	switch {
	case len(raw) == 0:
		st.fail(poison(ReasonMissingSeries, "\"series\" is empty"))
	case len(raw) > orDefault(c.MaxSeriesLen, DefaultMaxSeriesLen):
		st.fail(poison(ReasonBadSeries, "series id is %d bytes, limit %d", len(raw), orDefault(c.MaxSeriesLen, DefaultMaxSeriesLen)))
	case !validSeries(raw):
		st.fail(poison(ReasonBadSeries, "series id %s has control characters or invalid UTF-8", quote(raw)))
	}
	st.series, st.hasSeries = raw, true
	return nil
}

func validSeries(b []byte) bool {
	for _, ch := range b {
		if ch < 0x20 || ch == 0x7f {
			return false
		}
	}
	return utf8.Valid(b)
}

func (c *JSONCodec) fieldTS(s *scanner, st *decodeState) *PoisonError {
	var t time.Time
	switch {
	case s.literal("null"):
		st.hasTS = false
		return nil
	case s.peek() == '"':
		s.i++
		raw, esc, ok := s.str()
		if !ok {
			return s.syntax("bad string")
		}
		if esc {
			st.fail(poison(ReasonBadTS, "timestamp string must not contain escapes"))
			return nil
		}
		if allDigits(raw) {
			ms, ok := parseInt(raw)
			if !ok {
				st.fail(poison(ReasonBadTS, "timestamp %s overflows", quote(raw)))
				return nil
			}
			t = time.UnixMilli(ms).UTC()
		} else if t, ok = parseRFC3339(raw); !ok {
			st.fail(poison(ReasonBadTS, "timestamp %s is neither RFC 3339 nor unix milliseconds", quote(raw)))
			return nil
		}
	case isNumStart(s.peek()):
		num, isInt, ok := s.number()
		if !ok {
			return s.syntax("bad number")
		}
		if isInt {
			ms, ok := parseInt(num)
			if !ok {
				st.fail(poison(ReasonTSOutOfRange, "timestamp %s overflows", quote(num)))
				return nil
			}
			t = time.UnixMilli(ms).UTC()
		} else {
			f, err := strconv.ParseFloat(string(num), 64)
			if err != nil || math.Abs(f) > 1e15 {
				st.fail(poison(ReasonTSOutOfRange, "timestamp %s out of range", quote(num)))
				return nil
			}
			t = time.UnixMicro(int64(math.Round(f * 1e3))).UTC()
		}
	default:
		if !s.skipValue(0) {
			return s.syntax("bad value")
		}
		st.fail(poison(ReasonBadTS, "\"ts\" must be a string or a number"))
		return nil
	}
	lo, hi := c.timeBounds()
	if t.Before(lo) || !t.Before(hi) {
		st.fail(poison(ReasonTSOutOfRange, "timestamp %s outside [%s, %s)", t.Format(time.RFC3339Nano), lo.Format(time.RFC3339), hi.Format(time.RFC3339)))
		return nil
	}
	if c.MaxFuture > 0 {
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		if limit := now().Add(c.MaxFuture); t.After(limit) {
			st.fail(poison(ReasonTSOutOfRange, "timestamp %s more than %v in the future", t.Format(time.RFC3339Nano), c.MaxFuture))
			return nil
		}
	}
	st.ts, st.hasTS = t, true
	return nil
}

// readNumber reads a JSON number (or the non-standard NaN/Infinity tokens
// some producers emit) at the scanner position. It returns a poison for
// non-finite values.
func readNumber(s *scanner, what string) (float64, *PoisonError, bool) {
	for _, lit := range [...]string{"NaN", "Infinity", "-Infinity", "+Infinity"} {
		if s.literal(lit) {
			return 0, poison(ReasonNotFinite, "%s is %s", what, lit), true
		}
	}
	num, _, ok := s.number()
	if !ok {
		return 0, nil, false
	}
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > features.MaxAbsValue {
		return 0, poison(ReasonNotFinite, "%s %s is not a finite float64 within ±%g", what, quote(num), features.MaxAbsValue), true
	}
	return f, nil, true
}

func fieldValue(s *scanner, st *decodeState) *PoisonError {
	ch := s.peek()
	switch {
	case s.literal("null"):
		st.hasValue = false
		return nil
	case isNumStart(ch) || ch == 'N' || ch == 'I' || ch == '+':
		f, p, ok := readNumber(s, "value")
		if !ok {
			return s.syntax("bad number")
		}
		if p != nil {
			st.fail(p)
			return nil
		}
		st.value, st.hasValue = f, true
		return nil
	default:
		if !s.skipValue(0) {
			return s.syntax("bad value")
		}
		st.fail(poison(ReasonValueNotNumber, "\"value\" must be a JSON number"))
		return nil
	}
}

func (c *JSONCodec) fieldExog(s *scanner, st *decodeState, dst *features.Observation) *PoisonError {
	if dst.Exog != nil {
		clear(dst.Exog)
	}
	if s.literal("null") {
		return nil
	}
	if !s.consume('{') {
		if !s.skipValue(0) {
			return s.syntax("bad value")
		}
		st.fail(poison(ReasonBadExog, "\"exog\" must be an object of numbers"))
		return nil
	}
	s.ws()
	if s.consume('}') {
		return nil
	}
	limit := orDefault(c.MaxExog, DefaultMaxExog)
	n := 0
	for {
		s.ws()
		if !s.consume('"') {
			return s.syntax("expected exog name")
		}
		k, esc, ok := s.str()
		if !ok {
			return s.syntax("bad string")
		}
		if esc {
			k = unescape(k, nil)
		}
		s.ws()
		if !s.consume(':') {
			return s.syntax("expected ':'")
		}
		s.ws()
		ch := s.peek()
		switch {
		case len(k) == 0:
			if !s.skipValue(0) {
				return s.syntax("bad value")
			}
			st.fail(poison(ReasonBadExog, "empty exog name"))
		case s.literal("null"):
		case isNumStart(ch) || ch == 'N' || ch == 'I' || ch == '+':
			f, p, ok := readNumber(s, "exog value")
			if !ok {
				return s.syntax("bad number")
			}
			if p != nil {
				st.fail(p)
				break
			}
			n++
			if n > limit {
				st.fail(poison(ReasonBadExog, "more than %d exog entries", limit))
				break
			}
			if st.semantic == nil {
				if dst.Exog == nil {
					dst.Exog = make(map[string]float64, 4)
				}
				dst.Exog[string(k)] = f
			}
		default:
			if !s.skipValue(0) {
				return s.syntax("bad value")
			}
			st.fail(poison(ReasonBadExog, "exog %s is not a number", quote(k)))
		}
		s.ws()
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return nil
		}
		return s.syntax("expected ',' or '}' in exog")
	}
}
