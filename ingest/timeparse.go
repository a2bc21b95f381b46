package ingest

import (
	"strconv"
	"time"
)

// TimeKind says how a frame's time column is to be read.
type TimeKind uint8

const (
	// TimeUnset: not decided yet (no row read).
	TimeUnset TimeKind = iota
	// TimeStamp: Frame.Time holds unix milliseconds (UTC; dates without an
	// offset are taken as UTC).
	TimeStamp
	// TimeInt: Frame.Time holds the integers of the ds column as written
	// (NeuralForecast also accepts integer time indexes, e.g. M4).
	TimeInt
)

// String returns "timestamp", "int" or "unset".
func (k TimeKind) String() string {
	switch k {
	case TimeStamp:
		return "timestamp"
	case TimeInt:
		return "int"
	}
	return "unset"
}

const msPerDay = 86_400_000

// daysFromCivil returns the number of days from 1970-01-01 to the proleptic
// Gregorian date y-m-d (H. Hinnant's algorithm; exact for every int32 year).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

func digits2(b []byte, i int) (int64, bool) {
	c0, c1 := b[i]-'0', b[i+1]-'0'
	if c0 > 9 || c1 > 9 {
		return 0, false
	}
	return int64(c0)*10 + int64(c1), true
}

// parseStamp parses, without allocating, a date or date-time into unix
// milliseconds:
//
//	YYYY-MM-DD
//	YYYY-MM-DD[T ]HH:MM[:SS[.fff…]][Z|±HH:MM|±HHMM]
//
// (also with '/' as the date separator). Fractions beyond milliseconds are
// truncated. Times without an offset are UTC.
func parseStamp(b []byte) (int64, bool) {
	if len(b) < 10 || b[4] != b[7] || (b[4] != '-' && b[4] != '/') {
		return 0, false
	}
	var y int64
	for _, c := range b[:4] {
		if c -= '0'; c > 9 {
			return 0, false
		}
		y = y*10 + int64(c)
	}
	mo, ok1 := digits2(b, 5)
	d, ok2 := digits2(b, 8)
	if !ok1 || !ok2 || mo < 1 || mo > 12 || d < 1 || d > int64(daysIn(int(mo), int(y))) {
		return 0, false
	}
	ms := daysFromCivil(y, mo, d) * msPerDay
	if len(b) == 10 {
		return ms, true
	}
	if (b[10] != ' ' && b[10] != 'T' && b[10] != 't') || len(b) < 16 || b[13] != ':' {
		return 0, false
	}
	hh, ok1 := digits2(b, 11)
	mm, ok2 := digits2(b, 14)
	if !ok1 || !ok2 || hh > 23 || mm > 59 {
		return 0, false
	}
	ms += hh*3_600_000 + mm*60_000
	i := 16
	if i < len(b) && b[i] == ':' {
		if len(b) < 19 {
			return 0, false
		}
		ss, ok := digits2(b, 17)
		if !ok || ss > 59 {
			return 0, false
		}
		ms += ss * 1000
		i = 19
		if i < len(b) && (b[i] == '.' || b[i] == ',') {
			i++
			start := i
			scale := int64(100)
			for i < len(b) && b[i]-'0' <= 9 {
				ms += int64(b[i]-'0') * scale
				scale /= 10
				i++
			}
			if i == start {
				return 0, false
			}
		}
	}
	if i == len(b) {
		return ms, true
	}
	switch b[i] {
	case 'Z', 'z':
		return ms, i+1 == len(b)
	case '+', '-':
		rest := b[i+1:]
		var oh, om int64
		var ok1, ok2 bool
		switch len(rest) {
		case 5:
			if rest[2] != ':' {
				return 0, false
			}
			oh, ok1 = digits2(rest, 0)
			om, ok2 = digits2(rest, 3)
		case 4:
			oh, ok1 = digits2(rest, 0)
			om, ok2 = digits2(rest, 2)
		case 2:
			oh, ok1 = digits2(rest, 0)
			ok2 = true
		default:
			return 0, false
		}
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		off := (oh*60 + om) * 60_000
		if b[i] == '+' {
			return ms - off, true
		}
		return ms + off, true
	}
	return 0, false
}

// parseIntDS parses an integer time index (optionally signed, at most 18
// digits).
func parseIntDS(b []byte) (int64, bool) { return parseInt(b) }

// parseTime parses b as a time of kind k; with TimeUnset it decides the kind
// (an integer makes TimeInt, a date TimeStamp).
func parseTime(b []byte, k TimeKind) (int64, TimeKind, bool) {
	switch k {
	case TimeStamp:
		v, ok := parseStamp(b)
		return v, k, ok
	case TimeInt:
		v, ok := parseIntDS(b)
		return v, k, ok
	}
	if v, ok := parseIntDS(b); ok {
		return v, TimeInt, true
	}
	if v, ok := parseStamp(b); ok {
		return v, TimeStamp, true
	}
	return 0, TimeUnset, false
}

// FormatTime renders a time of kind k the way it is written in files:
// RFC 3339 in UTC ("2016-07-01T00:00:00Z", with milliseconds only when
// non-zero) for TimeStamp, the integer for TimeInt.
func FormatTime(t int64, k TimeKind) string {
	if k == TimeInt {
		return strconv.FormatInt(t, 10)
	}
	return string(AppendTime(nil, t, k))
}

// AppendTime appends FormatTime(t, k) to dst.
func AppendTime(dst []byte, t int64, k TimeKind) []byte {
	if k == TimeInt {
		return strconv.AppendInt(dst, t, 10)
	}
	days := t / msPerDay
	rem := t % msPerDay
	if rem < 0 {
		days--
		rem += msPerDay
	}
	y, m, d := civilFromDays(days)
	if y < 0 || y > 9999 {
		return time.UnixMilli(t).UTC().AppendFormat(dst, time.RFC3339Nano)
	}
	dst = append4(dst, y)
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	dst = append2(dst, d)
	dst = append(dst, 'T')
	dst = append2(dst, rem/3_600_000)
	dst = append(dst, ':')
	dst = append2(dst, rem/60_000%60)
	dst = append(dst, ':')
	dst = append2(dst, rem/1000%60)
	if ms := rem % 1000; ms != 0 {
		dst = append(dst, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	}
	return append(dst, 'Z')
}

func append2(dst []byte, v int64) []byte { return append(dst, byte('0'+v/10), byte('0'+v%10)) }
func append4(dst []byte, v int64) []byte {
	return append(dst, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}
