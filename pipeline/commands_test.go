package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streamcast/streamcast/pipeline/devkafka"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestRunMain drives `streamcast run` as main does: flags and environment,
// readiness over HTTP, then a clean stop on cancellation (SIGTERM).
func TestRunMain(t *testing.T) {
	e := newTestEnv(t, 2)
	e.produce(observations(5, 0, 2))
	httpAddr := freeAddr(t)
	t.Setenv("STREAMCAST_GROUP", e.group)
	t.Setenv("STREAMCAST_KEY_PREFIX", e.prefix)
	args := []string{"--brokers", strings.Join(e.brokers, ","), "--input-topic", tIn, "--output-topic", tOut,
		"--dlq-topic", tDLQ, "--redis", testRedisAddr(), "--http", httpAddr, "--log-level", "error",
		"--session-timeout", "1500ms", "--heartbeat-interval", "100ms", "--json"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- RunMain(ctx, args, &stdout, &stderr) }()
	waitFor(t, 30*time.Second, "/readyz 200", func() bool {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	for i := range 5 {
		waitFor(t, 30*time.Second, fmt.Sprintf("latest forecast of s-%d", i), func() bool {
			resp, err := http.Get(fmt.Sprintf("http://%s/v1/forecast/s-%d", httpAddr, i))
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			var f struct {
				OriginTS time.Time `json:"origin_ts"`
			}
			return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&f) == nil && f.OriginTS.Equal(testT0.Add(time.Hour))
		})
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run ended with %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
	// --json: the run summary is the last stdout line.
	var sum Summary
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatalf("summary %q: %v", stdout.String(), err)
	}
	if sum.EventsApplied != 10 || sum.ForecastsOut != 10 || sum.Model != "snaive" || sum.ModelVersion != "1-m24" ||
		sum.Retrains != 0 || len(sum.OnlineMAESteps) != 24 || sum.MAEScored != 5 || sum.OnlineScored != 5 {
		t.Fatalf("summary %+v", sum)
	}
}

func TestRunMainStartupErrors(t *testing.T) {
	cl, err := devkafka.Start(devkafka.Options{Topics: []string{"observations", "forecasts", "observations.dlq"}, Partitions: 1,
		SASL: []devkafka.User{{Mechanism: "SCRAM-SHA-256", Name: "svc", Password: "right"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"invalid flags": {args: []string{"--horizon", "-1", "--brokers", "nohost"}, want: "--horizon"},
		"wrong sasl password": {
			args: []string{"--brokers", cl.Addrs()[0], "--kafka-sasl-mechanism", "SCRAM-SHA-256", "--kafka-user", "svc", "--http", ""},
			env:  map[string]string{EnvKafkaPassword: "wrong"}, want: "authentication failed"},
		"unknown flag": {args: []string{"--nope"}, want: "flag provided but not defined"},
	} {
		t.Run(name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var stderr bytes.Buffer
			err := RunMain(ctx, tc.args, &bytes.Buffer{}, &stderr)
			if err == nil || !strings.Contains(err.Error()+stderr.String(), tc.want) {
				t.Fatalf("err %v, stderr %q; want %q", err, stderr.String(), tc.want)
			}
			if strings.Contains(err.Error()+stderr.String(), "wrong") && name == "wrong sasl password" {
				t.Fatalf("password leaked: %v", err)
			}
		})
	}
	// -h prints every flag and returns flag.ErrHelp (exit 0 in main).
	var stderr bytes.Buffer
	if err := RunMain(context.Background(), []string{"-h"}, &bytes.Buffer{}, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	if !strings.Contains(stderr.String(), "STREAMCAST_REDIS_PASSWORD") || !strings.Contains(stderr.String(), "--kafka-sasl-mechanism") {
		t.Fatalf("-h output incomplete:\n%s", stderr.String())
	}
}

// TestDemoJSON runs a small demo and checks the JSON summary contract.
func TestDemoJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := DemoMain(context.Background(), []string{"--events", "300", "--rate", "0", "--series", "10", "--json", "--http", ""}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var sum map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatalf("last stdout line is not JSON: %v\n%s", err, stdout.String())
	}
	for _, k := range []string{"events_in", "events_applied", "events_late", "dlq", "forecasts_out", "events_per_s", "latency_ms", "model", "model_version"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("summary lacks %s", k)
		}
	}
	if sum["events_in"] != 300.0 || sum["events_applied"] != 300.0 || sum["forecasts_out"] != 300.0 {
		t.Errorf("summary counts: %v", sum)
	}
	lat := sum["latency_ms"].(map[string]any)
	if _, ok := lat["p99"]; !ok {
		t.Errorf("latency_ms lacks p99: %v", lat)
	}
}
