package features

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

func TestStoreErrors(t *testing.T) {
	rdb, cfg := miniRedis(t)
	if _, err := NewStore(nil, cfg); err == nil {
		t.Fatal("nil client accepted")
	}
	if _, err := NewStore(rdb, Config{}); err == nil {
		t.Fatal("invalid config accepted")
	}
	s := newTestStore(t, rdb, cfg)
	ctx := context.Background()
	obs := []Observation{obAt("s", 0, 1, 0, 0)}
	if err := s.Apply(ctx, obs, cfg.History+1, make([]Result, 1)); err == nil {
		t.Fatal("tail > History accepted")
	}
	if err := s.Apply(ctx, obs, 1, nil); err == nil {
		t.Fatal("short dst accepted")
	}
	if _, err := s.State(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("State(missing) = %v, want ErrNotFound", err)
	}
	// Invalid observations are reported, not sent.
	dst := make([]Result, 2)
	bad := []Observation{obAt("s", 0, math.NaN(), 0, 0), obAt("", 0, 1, 0, 0)}
	if err := s.Apply(ctx, bad, 1, dst); err != nil || dst[0].Status != Invalid || dst[1].Status != Invalid {
		t.Fatalf("invalid batch: %v %+v", err, dst)
	}
	// A store with another History must refuse existing state (the
	// series' events are BadState, see TestApplyBadSeriesIsolated).
	if err := s.Apply(ctx, obs, 1, dst); err != nil {
		t.Fatal(err)
	}
	cfg2 := cfg
	cfg2.History = 512
	s2 := newTestStore(t, rdb, cfg2)
	err := s2.Apply(ctx, []Observation{obAt("s", 1, 1, 0, 1)}, 1, dst)
	if err != nil || dst[0].Status != BadState || !errors.Is(dst[0].Err, ErrConfigMismatch) {
		t.Fatalf("config mismatch apply: %v, %v %v", err, dst[0].Status, dst[0].Err)
	}
	if _, err := s2.State(ctx, "s"); !errors.Is(err, ErrConfigMismatch) {
		t.Fatalf("config mismatch state: %v", err)
	}
	if err := s.Delete(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.State(ctx, "s"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

// TestNoScriptReload: Apply must load the script by itself after NOSCRIPT,
// both when it was never loaded (real Redis: a salt unique to this run
// gives the scripts SHAs no other store has loaded) and after SCRIPT FLUSH
// (miniredis only: flushing the shared server's cache would disturb other
// users).
func TestNoScriptReload(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			rdb, cfg := be.open(t)
			cfg.scriptSalt = cfg.KeyPrefix // unique per run
			s, err := NewStore(rdb, cfg)   // not loaded
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			obs := randomStream(newRand(7), 3, 60)
			dst := make([]Result, len(obs))
			if err := s.Apply(ctx, obs[:30], 4, dst); err != nil {
				t.Fatalf("apply before Load: %v", err)
			}
			if be.name == "miniredis" {
				if err := rdb.ScriptFlush(ctx).Err(); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Apply(ctx, obs[30:], 4, dst); err != nil {
				t.Fatalf("second apply: %v", err)
			}
			for name, want := range Offline(cfg, obs) {
				got, err := s.State(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				if d := got.Diff(want); d != "" {
					t.Fatalf("%s: %s", name, d)
				}
			}
		})
	}
}

func TestServerErrorClassification(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	defer rdb.Close()
	s := newTestStore(t, rdb, DefaultConfig())
	tests := []struct {
		reply     string
		transient bool
	}{
		{"LOADING Redis is loading the dataset in memory", true},
		{"READONLY You can't write against a read only replica.", true},
		{"CLUSTERDOWN The cluster is down", true},
		{"TRYAGAIN Multiple keys request during rehashing of slot", true},
		{"MASTERDOWN Link with MASTER is down", true},
		{"BUSY Redis is busy running a script", true},
		{"OOM command not allowed when used memory > 'maxmemory'", false},
		{"ERR something else", false},
	}
	for _, tt := range tests {
		mr.SetError(tt.reply)
		err := s.Apply(context.Background(), []Observation{obAt("s", 0, 1, 0, 0)}, 1, make([]Result, 1))
		if err == nil || IsTransient(err) != tt.transient || errors.Is(err, ErrTransient) != tt.transient {
			t.Errorf("server reply %q: Apply error %v, transient %v, want %v", tt.reply, err, IsTransient(err), tt.transient)
		}
	}
	mr.SetError("")
}

func TestTransientErrors(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	s, err := NewStore(rdb, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	mr.Close()
	err = s.Apply(ctx, []Observation{obAt("s", 0, 1, 0, 0)}, 1, make([]Result, 1))
	if err == nil || !IsTransient(err) || !errors.Is(err, ErrTransient) {
		t.Fatalf("apply against a closed server: %v, want transient", err)
	}
	if _, err := s.State(ctx, "s"); !IsTransient(err) {
		t.Fatalf("state against a closed server: %v, want transient", err)
	}
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{context.Canceled, false},
		{context.DeadlineExceeded, true},
		{redis.ErrClosed, false},
		{errors.New("boom"), false},
		{fmt.Errorf("x: %w", redis.ErrPoolTimeout), true},
	}
	for _, tt := range tests {
		if got := IsTransient(tt.err); got != tt.want {
			t.Errorf("IsTransient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestConcurrentApply: one Store shared by several goroutines (as by
// per-partition consumers), each owning its series; the final states must
// equal the offline recomputation.
func TestConcurrentApply(t *testing.T) {
	rdb, cfg := realRedis(t)
	cfg.History = 64
	cfg.Windows, cfg.Lags = []int{8}, []int{1, 64}
	s := newTestStore(t, rdb, cfg)
	const workers = 4
	streams := make([][]Observation, workers)
	for w := range streams {
		streams[w] = randomStream(newRand(uint64(100+w)), 3, 600)
		for i := range streams[w] {
			streams[w][i].Series = fmt.Sprintf("w%d-%s", w, streams[w][i].Series)
		}
	}
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			dst := make([]Result, 50)
			for lo := 0; lo < len(streams[w]); lo += 50 {
				if err := s.Apply(context.Background(), streams[w][lo:min(lo+50, len(streams[w]))], 8, dst); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for w := range workers {
		for name, want := range Offline(cfg, streams[w]) {
			got, err := s.State(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			if d := got.Diff(want); d != "" {
				t.Fatalf("%s: %s", name, d)
			}
		}
	}
}
