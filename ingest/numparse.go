package ingest

import (
	"math"
	"strconv"
	"unsafe"
)

// pow10 holds the powers of ten that are exact in float64.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat parses a decimal number, bit for bit as strconv.ParseFloat
// does. Plain decimals of at most 15 significant digits ("123.456", "-1e3")
// take Clinger's fast path: an exact integer mantissa times or divided by an
// exact power of ten is correctly rounded by one IEEE operation. Everything
// else (long mantissas, big exponents, "inf", hex floats) goes to
// strconv.ParseFloat. ok is false for text that is not a number.
func parseFloat(b []byte) (float64, bool) {
	i, n := 0, len(b)
	if n == 0 {
		return 0, false
	}
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i++
	}
	var mant uint64
	nd, exp := 0, 0
	sawDigit := false
	for ; i < n; i++ {
		c := b[i] - '0'
		if c > 9 {
			break
		}
		sawDigit = true
		if mant == 0 && c == 0 {
			continue // leading zeros do not count as significant
		}
		mant = mant*10 + uint64(c)
		nd++
	}
	if i < n && b[i] == '.' {
		i++
		for ; i < n; i++ {
			c := b[i] - '0'
			if c > 9 {
				break
			}
			sawDigit = true
			exp--
			if mant == 0 && c == 0 {
				continue
			}
			mant = mant*10 + uint64(c)
			nd++
		}
	}
	if !sawDigit {
		return slowFloat(b)
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < n && (b[i] == '-' || b[i] == '+') {
			eneg = b[i] == '-'
			i++
		}
		start, e := i, 0
		for ; i < n && b[i]-'0' <= 9; i++ {
			if e < 10000 {
				e = e*10 + int(b[i]-'0')
			}
		}
		if i == start {
			return 0, false
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != n {
		return slowFloat(b)
	}
	if nd > 15 || exp < -22 || exp > 22 {
		return slowFloat(b)
	}
	f := float64(mant) // exact: mant < 10^15 < 2^53
	if exp < 0 {
		f /= pow10[-exp]
	} else {
		f *= pow10[exp]
	}
	if neg {
		f = -f
	}
	return f, true
}

func slowFloat(b []byte) (float64, bool) {
	v, err := strconv.ParseFloat(bytesString(b), 64)
	if err != nil {
		// Out-of-range numbers come back as ±Inf with an error; callers reject
		// non-finite values with their own message.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && math.IsInf(v, 0) {
			return v, true
		}
		return 0, false
	}
	return v, true
}

// bytesString views b as a string without copying; the result must not
// outlive b's contents.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
