package pipeline

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/segmentio/kafka-go"

	"github.com/streamcast/streamcast/internal/testenv"
	"github.com/streamcast/streamcast/pipeline/devkafka"
)

func TestKafkaSASL(t *testing.T) {
	users := []devkafka.User{
		{Mechanism: "PLAIN", Name: "plainuser", Password: "plain-secret"},
		{Mechanism: "SCRAM-SHA-256", Name: "scram256", Password: "s256-secret"},
		{Mechanism: "SCRAM-SHA-512", Name: "scram512", Password: "s512-secret"},
	}
	cl, err := devkafka.Start(devkafka.Options{Topics: []string{"in"}, Partitions: 2, SASL: users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)

	for _, u := range users {
		for _, tc := range []struct {
			name string
			pass string
			ok   bool
		}{{"right", u.Password, true}, {"wrong", u.Password + "x", false}} {
			t.Run(u.Mechanism+"/"+tc.name, func(t *testing.T) {
				cfg := DefaultConfig()
				cfg.Brokers = cl.Addrs()
				cfg.Kafka = KafkaSecurity{SASLMechanism: u.Mechanism, User: u.Name, Password: tc.pass}
				kc, err := NewKafkaClients(&cfg)
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				err = kc.Check(ctx, "in")
				if !tc.ok {
					if err == nil {
						t.Fatal("wrong credentials accepted")
					}
					if !strings.Contains(err.Error(), "authentication failed") {
						t.Fatalf("error does not say authentication failed: %v", err)
					}
					if strings.Contains(err.Error(), tc.pass) {
						t.Fatalf("error leaks the password: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("right credentials rejected: %v", err)
				}
				// The same credentials carry a real produce.
				w := &kafka.Writer{Addr: kafka.TCP(cl.Addrs()...), Topic: "in", Transport: kc.NewTransport(),
					RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
				defer w.Close()
				if err := w.WriteMessages(ctx, kafka.Message{Key: []byte("k"), Value: []byte("v")}); err != nil {
					t.Fatalf("produce with SASL: %v", err)
				}
			})
		}
	}
}

func TestKafkaCheckMissingTopic(t *testing.T) {
	cl, err := devkafka.Start(devkafka.Options{Topics: []string{"in"}, Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	cfg := DefaultConfig()
	cfg.Brokers = cl.Addrs()
	kc, err := NewKafkaClients(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := kc.Check(ctx, "in", "absent"); err == nil || !strings.Contains(err.Error(), "absent") {
		t.Fatalf("missing topic not reported: %v", err)
	}
}

// startRedisServer starts a private redis-server on a free port with extra
// arguments and returns its address; it is killed in Cleanup.
func startRedisServer(t *testing.T, args ...string) string {
	t.Helper()
	bin := testenv.RedisServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	all := append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}, args...)
	cmd := exec.Command(bin, all...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not start: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRedisAuth(t *testing.T) {
	addr := startRedisServer(t, "--requirepass", "root-secret")
	// An ACL user, created with the default user's password.
	admin := redis.NewClient(&redis.Options{Addr: addr, Password: "root-secret"})
	defer admin.Close()
	ctx := context.Background()
	if err := admin.Do(ctx, "ACL", "SETUSER", "svc", "on", ">svc-secret", "~*", "+@all").Err(); err != nil {
		t.Fatalf("ACL SETUSER: %v", err)
	}
	for _, tc := range []struct {
		name, user, pass string
		ok               bool
	}{
		{"password", "", "root-secret", true},
		{"acl-user", "svc", "svc-secret", true},
		{"wrong-password", "", "nope", false},
		{"wrong-acl-password", "svc", "nope", false},
		{"no-password", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Redis = []string{addr}
			cfg.RedisAuth = RedisSecurity{User: tc.user, Password: tc.pass}
			rdb, err := NewRedis(ctx, &cfg)
			if !tc.ok {
				if err == nil {
					rdb.Close()
					t.Fatal("bad credentials accepted")
				}
				if !strings.Contains(err.Error(), "authentication failed") {
					t.Fatalf("error does not say authentication failed: %v", err)
				}
				if tc.pass != "" && strings.Contains(err.Error(), tc.pass) {
					t.Fatalf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("good credentials rejected: %v", err)
			}
			defer rdb.Close()
			if err := rdb.Set(ctx, "sc-auth-test", "1", time.Minute).Err(); err != nil {
				t.Fatalf("SET after AUTH: %v", err)
			}
		})
	}
}
