// Package testenv holds the helpers tests use to reach the services they
// need (a real redis-server) and to decide what happens when one is
// missing: skip locally, fail in CI.
//
// With STREAMCAST_REQUIRE_REDIS=1 (set by .ci/run) a test that cannot
// reach Redis, or cannot find the redis-server binary it starts, fails
// instead of skipping, so a CI run without Redis can never pass by skipping
// every Redis-backed test.
package testenv

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Environment variables read by the helpers.
const (
	// EnvRequireRedis, when "1" or "true", turns skips for a missing Redis
	// into failures.
	EnvRequireRedis = "STREAMCAST_REQUIRE_REDIS"
	// EnvTestRedis is the address of the test Redis (default
	// 127.0.0.1:6379).
	EnvTestRedis = "STREAMCAST_TEST_REDIS"
)

// RequireRedis reports whether a missing Redis must fail tests.
func RequireRedis() bool {
	v := strings.TrimSpace(os.Getenv(EnvRequireRedis))
	return v == "1" || strings.EqualFold(v, "true")
}

// RedisAddr returns the address of the test Redis: $STREAMCAST_TEST_REDIS,
// else 127.0.0.1:6379.
func RedisAddr() string {
	if a := os.Getenv(EnvTestRedis); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// NoRedis ends the test because Redis (or a redis-server feature it needs)
// is missing: tb.Skipf, or tb.Fatalf under STREAMCAST_REQUIRE_REDIS=1.
func NoRedis(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if RequireRedis() {
		tb.Fatalf(format+" (failing: "+EnvRequireRedis+"=1)", args...)
		return
	}
	tb.Skipf(format, args...)
}

// Redis returns addr once a TCP connection to it succeeds within a
// second; otherwise it ends the test with NoRedis.
func Redis(tb testing.TB, addr string) string {
	tb.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		NoRedis(tb, "redis-server not reachable on %s: %v", addr, err)
		return addr
	}
	c.Close()
	return addr
}

// RedisServer returns the path of the redis-server binary, or ends the
// test with NoRedis.
func RedisServer(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("redis-server")
	if err != nil {
		NoRedis(tb, "redis-server binary not found: %v", err)
	}
	return p
}
