// Package sink publishes forecasts: to a Kafka topic (KafkaSink, keyed by
// series, acked by all in-sync replicas), to Redis as the latest forecast
// per series (RedisLatest), and over HTTP from Redis (ForecastHandler).
//
// The wire format is JSON:
//
//	{"id":"<series>/<origin ts>/<model>@<version>","series":"meter-17",
//	 "origin_ts":"2026-11-26T05:00:00Z","issued_at":"2026-11-26T05:00:00.0123Z",
//	 "model":"snaive","model_version":"1-m24",
//	 "horizon":[{"ts":"2026-11-26T06:00:00Z","mean":123.4}, ...]}
//
// Models with prediction intervals add the quantiles of every step:
// {"ts":…,"mean":123.4,"q":{"0.05":101.2,"0.95":140.8}}.
//
// The id is deterministic (it does not depend on issued_at), so consumers can
// de-duplicate forecasts re-issued after a replay.
package sink

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Point is one step of a forecast horizon.
type Point struct {
	TS   time.Time `json:"ts"`
	Mean float64   `json:"mean"`
	// Q holds the predictive quantiles of the step at the levels of
	// Forecast.Quantiles (models trained with MQLoss or a
	// DistributionLoss); encoded as "q":{"0.1":…,"0.9":…}.
	Q []float64 `json:"-"`
}

// Forecast is one issued forecast of one series.
type Forecast struct {
	// ID is ForecastID(Series, OriginTS, Model, ModelVersion); if empty it
	// is computed when encoding.
	ID           string    `json:"id"`
	Series       string    `json:"series"`
	OriginTS     time.Time `json:"origin_ts"`
	IssuedAt     time.Time `json:"issued_at"`
	Model        string    `json:"model"`
	ModelVersion string    `json:"model_version"`
	Horizon      []Point   `json:"horizon"`
	// Quantiles are the levels (in (0, 1), ascending) of every point's Q;
	// nil for point forecasts.
	Quantiles []float64 `json:"-"`
	// JSON, if non-nil, is f's encoding exactly as AppendJSON produces it
	// (set by Encode). Publishers send these bytes instead of encoding f
	// again, so a forecast published to several sinks is formatted once.
	// Whoever changes another field after Encode must reset JSON to nil.
	JSON []byte `json:"-"`
}

// Publisher is implemented by KafkaSink and RedisLatest. Publish returns
// only when every forecast is durably stored (acked).
type Publisher interface {
	Publish(ctx context.Context, fs []Forecast) error
}

// ErrInvalidForecast is returned for forecasts that cannot be published
// (empty series, model or horizon, non-finite mean).
var ErrInvalidForecast = errors.New("sink: invalid forecast")

// ForecastID returns "<series>/<origin RFC3339Nano UTC>/<model>@<version>".
func ForecastID(series string, origin time.Time, model, version string) string {
	b := make([]byte, 0, len(series)+len(model)+len(version)+40)
	return string(appendID(b, series, origin, model, version))
}

func appendID(b []byte, series string, origin time.Time, model, version string) []byte {
	b = append(b, series...)
	b = append(b, '/')
	b = appendTime(b, origin)
	b = append(b, '/')
	b = append(b, model...)
	b = append(b, '@')
	return append(b, version...)
}

// Validate reports why f cannot be published.
func (f *Forecast) Validate() error {
	switch {
	case f.Series == "":
		return fmt.Errorf("%w: empty series", ErrInvalidForecast)
	case f.Model == "":
		return fmt.Errorf("%w: series %q: empty model", ErrInvalidForecast, f.Series)
	case len(f.Horizon) == 0:
		return fmt.Errorf("%w: series %q: empty horizon", ErrInvalidForecast, f.Series)
	}
	for i, p := range f.Horizon {
		if math.IsNaN(p.Mean) || math.IsInf(p.Mean, 0) {
			return fmt.Errorf("%w: series %q: step %d mean %v not finite", ErrInvalidForecast, f.Series, i+1, p.Mean)
		}
		if len(p.Q) != len(f.Quantiles) {
			return fmt.Errorf("%w: series %q: step %d has %d quantiles for %d levels", ErrInvalidForecast, f.Series, i+1, len(p.Q), len(f.Quantiles))
		}
		for _, v := range p.Q {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: series %q: step %d quantile %v not finite", ErrInvalidForecast, f.Series, i+1, v)
			}
		}
	}
	return nil
}

// AppendJSON appends the JSON encoding of f to dst without reflection.
// Times are RFC 3339 UTC with nanoseconds as needed; numbers use the
// shortest representation that round-trips (the same text encoding/json
// produces). Non-finite means (rejected by Validate) are written as null so
// the output is always valid JSON.
func (f *Forecast) AppendJSON(dst []byte) []byte { return appendJSON(dst, f, nil) }

// appendJSON implements AppendJSON; a non-nil e memoizes number and time
// formatting (the output is the same).
func appendJSON(dst []byte, f *Forecast, e *Encoder) []byte {
	dst = append(dst, `{"id":`...)
	if f.ID != "" {
		dst = appendString(dst, f.ID)
	} else {
		// Build the id in place: quoted, escaped pieces.
		dst = append(dst, '"')
		dst = appendEscaped(dst, f.Series)
		dst = append(dst, '/')
		dst = e.appendTime(dst, f.OriginTS)
		dst = append(dst, '/')
		dst = appendEscaped(dst, f.Model)
		dst = append(dst, '@')
		dst = appendEscaped(dst, f.ModelVersion)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"series":`...)
	dst = appendString(dst, f.Series)
	dst = append(dst, `,"origin_ts":"`...)
	dst = e.appendTime(dst, f.OriginTS)
	dst = append(dst, `","issued_at":"`...)
	dst = e.appendTime(dst, f.IssuedAt)
	dst = append(dst, `","model":`...)
	dst = appendString(dst, f.Model)
	dst = append(dst, `,"model_version":`...)
	dst = appendString(dst, f.ModelVersion)
	dst = append(dst, `,"horizon":[`...)
	for i, p := range f.Horizon {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"ts":"`...)
		dst = e.appendTime(dst, p.TS)
		dst = append(dst, `","mean":`...)
		dst = e.appendFloat(dst, p.Mean)
		if len(p.Q) > 0 && len(p.Q) == len(f.Quantiles) {
			dst = append(dst, `,"q":{`...)
			for j, v := range p.Q {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, '"')
				dst = appendFloat(dst, f.Quantiles[j])
				dst = append(dst, `":`...)
				dst = e.appendFloat(dst, v)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// Encode sets fs[i].JSON to fs[i]'s encoding (AppendJSON) for every
// forecast, writing all of them into one arena: arena[:0] is reused and the
// grown arena is returned for the next call. The JSON slices share the
// arena's memory, so the caller must not reuse the arena while the
// forecasts are in use.
func Encode(arena []byte, fs []Forecast) []byte {
	arena = arena[:0]
	ends := 0
	for i := range fs {
		fs[i].JSON = nil
		arena = fs[i].AppendJSON(arena)
		// Cap each slice so that an append through it cannot overwrite
		// the next forecast. (If the arena grows, earlier slices keep
		// pointing at the previous array, which stays valid.)
		fs[i].JSON = arena[ends:len(arena):len(arena)]
		ends = len(arena)
	}
	return arena
}

// appendFloat formats like encoding/json: shortest round-trip, 'e' notation
// outside [1e-6, 1e21), exponent without a leading zero.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	if format == 'f' && abs < 1e15 && f == math.Trunc(f) {
		// Integral values (common for count data) format much faster as
		// integers; the text is identical ("123", "-0" excepted below).
		if f == 0 {
			if math.Signbit(f) {
				return append(b, "-0"...)
			}
			return append(b, '0')
		}
		return strconv.AppendInt(b, int64(f), 10)
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendEscaped writes s as JSON string content: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}
