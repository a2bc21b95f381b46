package sink

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type failingGetter struct{}

func (failingGetter) Get(context.Context, string) (*Forecast, error) {
	return nil, errors.New("boom")
}

type mapGetter map[string]Forecast

func (m mapGetter) Get(_ context.Context, s string) (*Forecast, error) {
	f, ok := m[s]
	if !ok {
		return nil, ErrNotFound
	}
	return &f, nil
}

func TestForecastHandler(t *testing.T) {
	rdb, prefix := newRedis(t)
	r, err := NewRedisLatest(rdb, prefix)
	if err != nil {
		t.Fatal(err)
	}
	stored := []Forecast{makeForecast("meter-17", t0, 3, 1), makeForecast("site/a b", t0, 2, 5)}
	if err := r.Publish(context.Background(), stored); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		getter  LatestGetter
		method  string
		path    string
		code    int
		wantID  string
		errBody string
	}{
		{"found (raw path)", r, "GET", "/v1/forecast/meter-17", 200, stored[0].ID, ""},
		{"slash and escaped space", r, "GET", "/v1/forecast/site/a%20b", 200, stored[1].ID, ""},
		{"found (Get path)", mapGetter{"x": stored[0]}, "GET", "/v1/forecast/x", 200, stored[0].ID, ""},
		{"not found", r, "GET", "/v1/forecast/nope", 404, "", "no forecast"},
		{"empty id", r, "GET", "/v1/forecast/", 404, "", ""},
		{"post", r, "POST", "/v1/forecast/meter-17", 405, "", ""},
		{"delete", r, "DELETE", "/v1/forecast/meter-17", 405, "", ""},
		{"store down", failingGetter{}, "GET", "/v1/forecast/x", 503, "", "unavailable"},
		{"other path", r, "GET", "/v1/other", 404, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(ForecastHandler(tc.getter, nil))
			defer srv.Close()
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tc.code, body)
			}
			if tc.wantID != "" {
				var f Forecast
				if err := json.Unmarshal(body, &f); err != nil || f.ID != tc.wantID {
					t.Fatalf("body %s: %v", body, err)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Fatalf("content type %q", ct)
				}
			}
			if tc.errBody != "" && !strings.Contains(string(body), tc.errBody) {
				t.Fatalf("body %s lacks %q", body, tc.errBody)
			}
		})
	}
}
