package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/ingest"
)

// countHook counts round trips (single commands and pipelines).
type countHook struct{ cmds, pipes atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.cmds.Add(1); return next(ctx, cmd) }
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.pipes.Add(1); return next(ctx, cmds) }
}

func TestRedisLatest(t *testing.T) {
	rdb, prefix := newRedis(t)
	r, err := NewRedisLatest(rdb, prefix)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hook := &countHook{}
	rdb.AddHook(hook)

	var batch []Forecast
	for i := 0; i < 100; i++ {
		batch = append(batch, makeForecast(fmt.Sprintf("m/%d", i), t0, 48, float64(i)))
	}
	// The same series twice in one batch: the later one must win.
	newer := makeForecast("m/7", t0.Add(time.Hour), 48, 700)
	batch = append(batch, newer)
	// Warm up the connection (its HELLO/SETINFO handshake also runs through
	// hooks), then count the round trips of one Publish.
	if err := r.Publish(ctx, batch[:1]); err != nil {
		t.Fatal(err)
	}
	hook.pipes.Store(0)
	hook.cmds.Store(0)
	if err := r.Publish(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if p, c := hook.pipes.Load(), hook.cmds.Load(); p+c != 1 {
		t.Fatalf("Publish used %d pipelines and %d single commands, want one round trip", p, c)
	}
	got, err := r.Get(ctx, "m/7")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != newer.ID || !reflect.DeepEqual(got.Horizon[0], newer.Horizon[0]) || len(got.Horizon) != 48 {
		t.Fatalf("latest of m/7 = %s, want %s", got.ID, newer.ID)
	}
	got, err = r.Get(ctx, "m/42")
	if err != nil || got.Series != "m/42" || got.Horizon[47].Mean != 42+47*0.25 {
		t.Fatalf("m/42: %+v %v", got, err)
	}
	if ttl := rdb.TTL(ctx, r.Key("m/42")).Val(); ttl != -1 {
		t.Fatalf("TTL %v, want none", ttl)
	}
	if _, err := r.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing series: err = %v", err)
	}
	if err := r.Publish(ctx, []Forecast{{Series: "x"}}); !errors.Is(err, ErrInvalidForecast) {
		t.Fatalf("invalid forecast: %v", err)
	}
	r.TTL = time.Minute
	if err := r.Publish(ctx, batch[:1]); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.TTL(ctx, r.Key(batch[0].Series)).Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("TTL %v, want <= 1m", ttl)
	}
	// The pipeline path (TTL) also keeps the last forecast of a series,
	// however many come before it in the batch.
	older := makeForecast("m/9", t0.Add(2*time.Hour), 48, 1)
	newest := makeForecast("m/9", t0.Add(3*time.Hour), 48, 2)
	if err := r.Publish(ctx, []Forecast{older, batch[3], newest, batch[4]}); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Get(ctx, "m/9"); err != nil || got.ID != newest.ID {
		t.Fatalf("latest of m/9 with TTL = %+v %v, want %s", got, err, newest.ID)
	}
	if r.Key("a") != prefix+":fc:{a}" {
		t.Fatalf("key %q", r.Key("a"))
	}
}

func TestRedisLatestErrors(t *testing.T) {
	if _, err := NewRedisLatest(nil, "x"); err == nil {
		t.Fatal("nil client accepted")
	}
	// A port nobody listens on: errors must be transient.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	r, err := NewRedisLatest(rdb, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewRedisLatest(rdb, "bad{"); err == nil {
		t.Fatal("prefix with braces accepted")
	}
	ctx := context.Background()
	if err := r.Publish(ctx, []Forecast{makeForecast("s", t0, 1, 1)}); !ingest.IsTransient(err) {
		t.Fatalf("publish to dead redis: %v", err)
	}
	if _, err := r.Get(ctx, "s"); !ingest.IsTransient(err) {
		t.Fatalf("get from dead redis: %v", err)
	}
}

func BenchmarkRedisLatestPublish(b *testing.B) {
	rdb, prefix := newRedis(b)
	r, err := NewRedisLatest(rdb, prefix)
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]Forecast, 1000)
	for i := range batch {
		batch[i] = makeForecast(fmt.Sprintf("meter-%d", i), t0, 48, float64(i))
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Publish(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "forecasts/s")
}

func TestRedisLatestPreEncoded(t *testing.T) {
	rdb, prefix := newRedis(t)
	r, err := NewRedisLatest(rdb, prefix)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	batch := []Forecast{makeForecast("a", t0, 3, 1.25), makeForecast("b", t0, 2, 1e-9), makeForecast("c", t0, 1, 7)}
	_ = Encode(nil, batch[:2]) // "c" stays unencoded: mixed batches work
	if err := r.Publish(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, f := range batch {
		got, err := r.GetRaw(ctx, f.Series)
		if err != nil {
			t.Fatal(err)
		}
		if want := f.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("%s: stored %s, want %s", f.Series, got, want)
		}
	}
}
