package features

import (
	"context"
	"fmt"
	"testing"
)

// TestStaleCachesStayCorrect: the client-side views are only a cache. Two
// Stores (two processes, say, after a rebalance) take turns applying one
// stream to the same series, with varying tail lengths and a cache that
// holds one series per shard; each Store's view goes stale whenever the
// other writes, so the compare-and-set must catch every stale decision.
// Every per-event result and every final state must equal the offline
// recomputation, and conflicts must actually have happened.
func TestStaleCachesStayCorrect(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			rdb, cfg := be.open(t)
			cfg.History = 16
			cfg.Windows, cfg.Lags = []int{4, 16}, []int{1, 16}
			stores := make([]*Store, 2)
			for i := range stores {
				s, err := NewStoreWithOptions(rdb, cfg, StoreOptions{CacheSeries: 1})
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Load(context.Background()); err != nil {
					t.Fatal(err)
				}
				stores[i] = s
			}
			n := 1200
			if be.name == "miniredis" {
				n = 500
			}
			obs := randomStream(newRand(11), 5, n)
			ref := map[string]*State{}
			dst := make([]Result, 40)
			tails := []int{3, 16, 0, 7}
			for b, lo := 0, 0; lo < len(obs); b, lo = b+1, lo+40 {
				hi := min(lo+40, len(obs))
				s, tail := stores[b%2], tails[(b/2)%len(tails)]
				if err := s.Apply(context.Background(), obs[lo:hi], tail, dst); err != nil {
					t.Fatalf("batch %d: %v", b, err)
				}
				for i := lo; i < hi; i++ {
					checkResult(t, cfg, ref, &obs[i], &dst[i-lo], tail, fmt.Sprintf("batch %d obs %d", b, i))
				}
			}
			for name, want := range Offline(cfg, obs) {
				got, err := stores[0].State(context.Background(), name)
				if err != nil {
					t.Fatal(err)
				}
				if d := got.Diff(want); d != "" {
					t.Fatalf("%s: %s", name, d)
				}
			}
			var conflicts, misses int64
			for _, s := range stores {
				m, c := s.CacheStats()
				misses, conflicts = misses+m, conflicts+c
			}
			if conflicts == 0 || misses == 0 {
				t.Fatalf("expected stale views to cause conflicts and re-reads; got %d conflicts, %d misses", conflicts, misses)
			}
		})
	}
}

// TestCacheWarmOneRoundTrip: after the first batch, a series' events need
// no read: the cache is used (no new misses) and no conflicts occur; a
// fresh Store over existing state reads each series once and continues
// exactly (events it already holds are duplicates).
func TestCacheWarmOneRoundTrip(t *testing.T) {
	rdb, cfg := realRedis(t)
	obs := randomStream(newRand(5), 4, 400)
	s := newTestStore(t, rdb, cfg)
	applyAll(t, s, obs[:200], 50, 8)
	m0, c0 := s.CacheStats()
	if m0 != 4 || c0 != 0 {
		t.Fatalf("first pass: %d misses, %d conflicts; want 4 and 0", m0, c0)
	}
	s2 := newTestStore(t, rdb, cfg)
	// s2 replays the last 50 events already applied (duplicates, reported
	// with the current state), then continues.
	ref := map[string]*State{}
	for i := range obs[:200] {
		st := ref[obs[i].Series]
		if st == nil {
			st = NewState(obs[i].Series)
		}
		if cfg.Step(st, &obs[i]) != Invalid {
			ref[obs[i].Series] = st
		}
	}
	dst := make([]Result, 50)
	for lo := 150; lo < len(obs); lo += 50 {
		if err := s2.Apply(context.Background(), obs[lo:lo+50], 8, dst); err != nil {
			t.Fatal(err)
		}
		for i := lo; i < lo+50; i++ {
			r := dst[i-lo]
			if i < 200 && r.Status == Applied {
				t.Fatalf("obs %d applied twice", i)
			}
			checkResult(t, cfg, ref, &obs[i], &r, 8, fmt.Sprintf("obs %d", i))
		}
	}
	if m, c := s2.CacheStats(); m != 4 || c != 0 {
		t.Fatalf("fresh store: %d misses, %d conflicts; want 4 and 0", m, c)
	}
	if _, c := s.CacheStats(); c != c0 {
		t.Fatal("the first store saw conflicts without applying anything")
	}
}

// checkResult steps ref with ob and compares r with the offline outcome.
func checkResult(t *testing.T, cfg Config, ref map[string]*State, ob *Observation, r *Result, tail int, where string) {
	t.Helper()
	st := ref[ob.Series]
	if st == nil {
		st = NewState(ob.Series)
	}
	want := cfg.Step(st, ob)
	if want != Invalid {
		ref[ob.Series] = st
	}
	if r.Status != want {
		t.Fatalf("%s (%s): status %v, want %v", where, ob.Series, r.Status, want)
	}
	if want == Invalid {
		return
	}
	if r.Count != st.Count || !r.LastTS.Equal(st.LastTS) {
		t.Fatalf("%s: count/ts %d %v, want %d %v", where, r.Count, r.LastTS, st.Count, st.LastTS)
	}
	wantTail := st.Values[len(st.Values)-min(tail, len(st.Values)):]
	if d := floatsDiff(r.Tail, wantTail); d != "" {
		t.Fatalf("%s: tail %s", where, d)
	}
}
