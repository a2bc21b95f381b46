package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/models/mlp"
	"github.com/streamcast/streamcast/internal/testenv"
)

func testRedis(t *testing.T) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: testenv.Redis(t, testenv.RedisAddr())})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// newTestRegistry returns a registry under a unique prefix, deleted at the end.
func newTestRegistry(t *testing.T, rdb *redis.Client) *Registry {
	t.Helper()
	prefix := fmt.Sprintf("sctest-reg-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
	r, err := New(rdb, Config{KeyPrefix: prefix, Name: "m"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, prefix+":*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return r
}

// tinyBlob encodes a small MLP whose weights depend on seed.
func tinyBlob(t *testing.T, seed int) []byte {
	t.Helper()
	m, err := model.New(mlp.Kind, []byte(fmt.Sprintf(`{"input_size":8,"h":4,"hidden_size":16,"num_layers":1,"random_seed":%d}`, seed)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := model.Encode(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustPut(t *testing.T, r *Registry, seed int, parent int64) Meta {
	t.Helper()
	m, err := r.Put(context.Background(), tinyBlob(t, seed), Meta{Parent: parent, Steps: 10, Note: "test"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPutLoadPromoteRollback(t *testing.T) {
	ctx := context.Background()
	r := newTestRegistry(t, testRedis(t))
	if _, err := r.Current(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty registry: Current err = %v, want ErrNotFound", err)
	}
	m1 := mustPut(t, r, 1, 0)
	m2 := mustPut(t, r, 2, 1)
	if m1.Version != 1 || m2.Version != 2 || m1.Kind != "mlp" || m1.SHA256 == m2.SHA256 {
		t.Fatalf("metas %+v %+v", m1, m2)
	}
	l, got, err := r.Load(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got.Parent != 1 || got.Steps != 10 || l.Checksum != m2.CRC32C || got.VersionString() != fmt.Sprintf("2-%08x", l.Checksum) {
		t.Fatalf("loaded meta %+v checksum %08x", got, l.Checksum)
	}
	if prev, err := r.Promote(ctx, 1, Guard{}); err != nil || prev != 0 {
		t.Fatalf("promote 1: prev %d err %v", prev, err)
	}
	// A trainer that expected the registry empty loses the race.
	if _, err := r.Promote(ctx, 2, Expect(0, 0)); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale expectation: err = %v, want ErrConflict", err)
	}
	if prev, err := r.Promote(ctx, 2, Expect(0, 1)); err != nil || prev != 1 {
		t.Fatalf("promote 2: prev %d err %v", prev, err)
	}
	ls, err := r.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ls.Current != 2 || fmt.Sprint(ls.History) != "[1 2]" || len(ls.Versions) != 2 {
		t.Fatalf("listing %+v", ls)
	}
	from, to, err := r.Rollback(ctx, Guard{})
	if err != nil || from != 2 || to != 1 {
		t.Fatalf("rollback: %d→%d err %v", from, to, err)
	}
	if cur, _ := r.Current(ctx); cur != 1 {
		t.Fatalf("current after rollback = %d", cur)
	}
	if _, _, err := r.Rollback(ctx, Guard{}); !errors.Is(err, ErrNoHistory) {
		t.Fatalf("second rollback: err = %v, want ErrNoHistory", err)
	}
	if _, err := r.Promote(ctx, 99, Guard{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("promote missing: err = %v", err)
	}
}

func TestCorruptBlobIsNeverPromoted(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	r := newTestRegistry(t, rdb)
	if _, err := r.Put(ctx, []byte("not a model"), Meta{}, 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("put garbage: err = %v, want ErrCorrupt", err)
	}
	mustPut(t, r, 1, 0)
	if _, err := r.Promote(ctx, 1, Guard{}); err != nil {
		t.Fatal(err)
	}
	m2 := mustPut(t, r, 2, 1)
	// Flip one byte of the stored blob (bit rot, a partial overwrite).
	b := tinyBlob(t, 2)
	b[len(b)/2] ^= 0xff
	rdb.Set(ctx, r.blobKey(m2.Version), b, 0)
	if _, err := r.Promote(ctx, 2, Guard{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("promote corrupt: err = %v, want ErrCorrupt", err)
	}
	// Truncated blob.
	rdb.Set(ctx, r.blobKey(m2.Version), b[:100], 0)
	if _, err := r.Promote(ctx, 2, Guard{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("promote truncated: err = %v, want ErrCorrupt", err)
	}
	if cur, _ := r.Current(ctx); cur != 1 {
		t.Fatalf("current = %d, want 1", cur)
	}
}

func TestLeaseFencing(t *testing.T) {
	ctx := context.Background()
	r := newTestRegistry(t, testRedis(t))
	tokA, ok, err := r.TryAcquire(ctx, "a", 150*time.Millisecond)
	if err != nil || !ok || tokA < 1 {
		t.Fatalf("a acquires: %d %v %v", tokA, ok, err)
	}
	if _, ok, _ := r.TryAcquire(ctx, "b", time.Second); ok {
		t.Fatal("b acquired a held lease")
	}
	if info, held, _ := r.Lease(ctx); !held || info.Owner != "a" || info.Token != tokA {
		t.Fatalf("lease info %+v %v", info, held)
	}
	m1, err := r.Put(ctx, tinyBlob(t, 1), Meta{}, tokA)
	if err != nil {
		t.Fatal(err)
	}
	// a stalls past its expiry; b takes over with a larger token.
	time.Sleep(250 * time.Millisecond)
	tokB, ok, err := r.TryAcquire(ctx, "b", time.Second)
	if err != nil || !ok || tokB <= tokA {
		t.Fatalf("b acquires after expiry: %d %v %v", tokB, ok, err)
	}
	if _, err := r.Put(ctx, tinyBlob(t, 2), Meta{}, tokA); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale put: err = %v, want ErrFenced", err)
	}
	if _, err := r.Promote(ctx, m1.Version, Guard{Token: tokA}); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale promote: err = %v, want ErrFenced", err)
	}
	if ok, _ := r.Renew(ctx, "a", tokA, time.Second); ok {
		t.Fatal("a renewed b's lease")
	}
	if _, err := r.Promote(ctx, m1.Version, Guard{Token: tokB}); err != nil {
		t.Fatal(err)
	}
	if err := r.Release(ctx, "b", tokB); err != nil {
		t.Fatal(err)
	}
	if _, held, _ := r.Lease(ctx); held {
		t.Fatal("lease still held after release")
	}
}

func TestHoldCancelsOnLoss(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	r := newTestRegistry(t, rdb)
	ok, err := r.Hold(ctx, "a", 300*time.Millisecond, func(ctx context.Context, token int64) error {
		// Another party steals the lease (as if a's had expired).
		rdb.Set(ctx, r.key("lease"), leaseValue(token+100, "b"), time.Second)
		<-ctx.Done()
		if !errors.Is(context.Cause(ctx), ErrLeaseLost) {
			t.Errorf("cause = %v, want ErrLeaseLost", context.Cause(ctx))
		}
		return nil
	})
	if !ok || err != nil {
		t.Fatalf("Hold: %v %v", ok, err)
	}
	// b's lease was not released by a.
	if info, held, _ := r.Lease(ctx); !held || info.Owner != "b" {
		t.Fatalf("lease after a's Hold: %+v %v", info, held)
	}
	busy, err := r.Hold(ctx, "c", time.Second, func(context.Context, int64) error { t.Error("c ran"); return nil })
	if busy || err != nil {
		t.Fatalf("Hold on a held lease: %v %v", busy, err)
	}
}

func TestWatcherFollowsPromotions(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := newTestRegistry(t, testRedis(t))
	var seen atomic.Int64
	w := &Watcher{Registry: r, Interval: time.Hour, Apply: func(_ context.Context, l *model.Loaded, m Meta) error {
		if l.Checksum != m.CRC32C {
			t.Errorf("version %d: checksum %08x vs meta %08x", m.Version, l.Checksum, m.CRC32C)
		}
		seen.Store(m.Version)
		return nil
	}}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	time.Sleep(100 * time.Millisecond) // subscribed; the hour-long poll never fires
	for seed := 1; seed <= 3; seed++ {
		m := mustPut(t, r, seed, int64(seed-1))
		if _, err := r.Promote(ctx, m.Version, Guard{}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return seen.Load() == m.Version }, "watcher applies version %d (pub/sub)", m.Version)
	}
	if _, _, err := r.Rollback(ctx, Guard{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return seen.Load() == 2 }, "watcher applies the rollback")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestWatcherPollsWithoutNotification(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rdb := testRedis(t)
	r := newTestRegistry(t, rdb)
	m := mustPut(t, r, 1, 0)
	var seen atomic.Int64
	w := &Watcher{Registry: r, Interval: 50 * time.Millisecond, Apply: func(_ context.Context, _ *model.Loaded, m Meta) error {
		seen.Store(m.Version)
		return nil
	}}
	go w.Run(ctx)
	// Move current behind the watcher's back: no PUBLISH.
	rdb.Set(ctx, r.key("current"), "1", 0)
	waitFor(t, func() bool { return seen.Load() == m.Version }, "poll picks up version 1")
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	r := newTestRegistry(t, testRedis(t))
	for i := 1; i <= 6; i++ {
		mustPut(t, r, i, 0)
	}
	for _, v := range []int64{1, 2} {
		if _, err := r.Promote(ctx, v, Guard{}); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := r.Prune(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Newest two (5, 6) and the history (1, 2; 2 is current) are kept.
	if fmt.Sprint(removed) != "[3 4]" {
		t.Fatalf("removed %v", removed)
	}
	if _, _, err := r.Load(ctx, 1); err != nil {
		t.Fatalf("rollback target pruned: %v", err)
	}
}

func TestRejections(t *testing.T) {
	ctx := context.Background()
	r := newTestRegistry(t, testRedis(t))
	r.cfg.RejectionsLen = 2
	for i := range 3 {
		if err := r.RecordRejection(ctx, Rejection{Parent: int64(i), Reason: "worse"}); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := r.Rejections(ctx)
	if err != nil || len(rs) != 2 || rs[0].Parent != 1 || rs[1].Parent != 2 {
		t.Fatalf("rejections %+v %v", rs, err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{Name: "a{b"}, {KeyPrefix: "x}"}, {HistoryLen: -1}} {
		if c.Validate() == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Error(err)
	}
}

func waitFor(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: "+format, args...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The demo runs on miniredis (gopher-lua): the scripts must behave the same.
func TestMiniredisScripts(t *testing.T) {
	ctx := context.Background()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	r, err := New(rdb, Config{})
	if err != nil {
		t.Fatal(err)
	}
	tok, ok, err := r.TryAcquire(ctx, "a", time.Second)
	if err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	if tok2, ok, _ := r.TryAcquire(ctx, "a", time.Second); !ok || tok2 != tok {
		t.Fatalf("re-acquire by the owner: %d %v", tok2, ok)
	}
	if _, ok, _ := r.TryAcquire(ctx, "b", time.Second); ok {
		t.Fatal("b acquired a held lease")
	}
	for seed := 1; seed <= 2; seed++ {
		m, err := r.Put(ctx, tinyBlob(t, seed), Meta{}, tok)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Promote(ctx, m.Version, Guard{Token: tok}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Put(ctx, tinyBlob(t, 3), Meta{}, tok+1); !errors.Is(err, ErrFenced) {
		t.Fatalf("wrong token: %v", err)
	}
	if from, to, err := r.Rollback(ctx, Guard{Token: tok}); err != nil || from != 2 || to != 1 {
		t.Fatalf("rollback %d→%d: %v", from, to, err)
	}
	if ok, err := r.Renew(ctx, "a", tok, time.Second); !ok || err != nil {
		t.Fatalf("renew: %v %v", ok, err)
	}
	if err := r.Release(ctx, "a", tok); err != nil {
		t.Fatal(err)
	}
	if _, held, _ := r.Lease(ctx); held {
		t.Fatal("lease held after release")
	}
}
