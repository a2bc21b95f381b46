package testenv

import (
	"fmt"
	"net"
	"testing"
)

// recTB records how a helper ended the test instead of ending it.
type recTB struct {
	testing.TB
	skipped, failed string
}

func (r *recTB) Helper()                      {}
func (r *recTB) Skipf(f string, args ...any)  { r.skipped = fmt.Sprintf(f, args...) }
func (r *recTB) Fatalf(f string, args ...any) { r.failed = fmt.Sprintf(f, args...) }

// TestNoRedisSkipsOrFails: without STREAMCAST_REQUIRE_REDIS an unreachable
// Redis skips the test; with it set, the test fails.
func TestNoRedisSkipsOrFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	for _, c := range []struct {
		env      string
		wantFail bool
	}{{"", false}, {"0", false}, {"1", true}, {"true", true}} {
		t.Run("require="+c.env, func(t *testing.T) {
			t.Setenv(EnvRequireRedis, c.env)
			r := &recTB{TB: t}
			Redis(r, dead)
			if c.wantFail && (r.failed == "" || r.skipped != "") || !c.wantFail && (r.skipped == "" || r.failed != "") {
				t.Fatalf("unreachable Redis with %s=%q: skipped %q, failed %q", EnvRequireRedis, c.env, r.skipped, r.failed)
			}
		})
	}
	t.Run("reachable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		t.Setenv(EnvRequireRedis, "1")
		r := &recTB{TB: t}
		if got := Redis(r, ln.Addr().String()); got != ln.Addr().String() || r.failed != "" || r.skipped != "" {
			t.Fatalf("reachable address: %q, skipped %q, failed %q", got, r.skipped, r.failed)
		}
	})
	t.Run("address", func(t *testing.T) {
		t.Setenv(EnvTestRedis, "")
		if RedisAddr() != "127.0.0.1:6379" {
			t.Fatal(RedisAddr())
		}
		t.Setenv(EnvTestRedis, "10.0.0.1:7000")
		if RedisAddr() != "10.0.0.1:7000" {
			t.Fatal(RedisAddr())
		}
	})
}
