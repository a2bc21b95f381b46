package sink

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
)

// LatestGetter looks up the latest forecast of a series (RedisLatest).
type LatestGetter interface {
	Get(ctx context.Context, series string) (*Forecast, error)
}

// rawGetter is the optional fast path: serve stored JSON as is.
type rawGetter interface {
	GetRaw(ctx context.Context, series string) ([]byte, error)
}

// ForecastHandler serves GET (and HEAD) /v1/forecast/{series}: 200 with the
// forecast JSON, 404 if the series has none, 405 for other methods, 503 if
// the store fails. Series ids may contain '/' (the rest of the path is the
// id, percent-decoded). It is read-only.
func ForecastHandler(g LatestGetter, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/forecast/{series...}", func(w http.ResponseWriter, r *http.Request) {
		series := r.PathValue("series")
		if series == "" {
			writeError(w, http.StatusNotFound, "series id missing")
			return
		}
		var body []byte
		var err error
		if rg, ok := g.(rawGetter); ok {
			body, err = rg.GetRaw(r.Context(), series)
		} else {
			var f *Forecast
			if f, err = g.Get(r.Context(), series); err == nil {
				body = f.AppendJSON(nil)
			}
		}
		switch {
		case errors.Is(err, ErrNotFound):
			writeError(w, http.StatusNotFound, "no forecast for series")
			return
		case err != nil:
			log.Error("forecast lookup failed", "err", err)
			writeError(w, http.StatusServiceUnavailable, "forecast store unavailable")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(append(body, '\n'))
	})
	return mux
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	b := append([]byte(`{"error":`), appendString(nil, msg)...)
	_, _ = w.Write(append(b, "}\n"...))
}
