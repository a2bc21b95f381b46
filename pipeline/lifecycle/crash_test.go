package lifecycle

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Crash tests run a retrainer in a child process (this test binary with
// instanceEnv set), wait until it reaches a given point, SIGKILL it and
// check what the surviving instance finds.
const instanceEnv = "STREAMCAST_LC_TEST_INSTANCE"

func mustExe(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// maybeRunInstance is the child: one forced retrain that announces
// "TRAINING" before fitting (and then trains for a long time) in mode
// "train", or "PUT <v>" after storing its challenger (and then stalls
// before promoting) in mode "promote".
func maybeRunInstance() {
	if os.Getenv(instanceEnv) != "1" {
		return
	}
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("LC_REDIS")})
	e := openEnv(&fakeTB{}, rdb, os.Getenv("LC_PREFIX"))
	cfg := RetrainConfig{Owner: "child", LeaseTTL: time.Second, Steps: 1 << 30}
	mode := os.Getenv("LC_MODE")
	if mode == "promote" {
		cfg.Steps = 100
	}
	r, err := NewRetrainer(cfg, Deps{Registry: e.reg, Data: &RedisHistories{Store: e.store, Redis: rdb}, Fitter: InProcess{}})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	r.beforeFit = func() {
		if mode == "train" {
			fmt.Println("TRAINING")
		}
	}
	r.afterPut = func(v int64) {
		fmt.Println("PUT", v)
		time.Sleep(time.Hour)
	}
	out := r.RetrainOnce(context.Background(), "manual", true)
	fmt.Println("DONE", out.Result, out.Reason)
	os.Exit(0)
}

// fakeTB lets openEnv run outside a test (failures exit the child).
type fakeTB struct{ testing.TB }

func (fakeTB) Helper() {}
func (fakeTB) Fatal(args ...any) {
	fmt.Println(append([]any{"ERR"}, args...)...)
	os.Exit(2)
}

func TestTrainerKilled(t *testing.T) {
	for _, mode := range []string{"train", "promote"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			e.writeHistories(t, 6, 0, 160)
			v1 := e.seed(t, tinyModel(t, 1))

			cmd := exec.Command(mustExe(t), "-test.run=^$")
			cmd.Env = append(os.Environ(), instanceEnv+"=1", "LC_REDIS="+redisAddr(), "LC_PREFIX="+e.prefix, "LC_MODE="+mode)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(stdout)
			var orphan int64
			reached := make(chan string, 1)
			go func() {
				for lines.Scan() {
					l := lines.Text()
					if l == "TRAINING" || strings.HasPrefix(l, "PUT ") || strings.HasPrefix(l, "ERR") || strings.HasPrefix(l, "DONE") {
						reached <- l
						return
					}
				}
				reached <- "EOF"
			}()
			var l string
			select {
			case l = <-reached:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatal("child never reached the kill point")
			}
			if l != "TRAINING" && !strings.HasPrefix(l, "PUT ") {
				cmd.Process.Kill()
				t.Fatalf("child: %s", l)
			}
			if v, ok := strings.CutPrefix(l, "PUT "); ok {
				orphan, _ = strconv.ParseInt(v, 10, 64)
			}
			if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup at all
				t.Fatal(err)
			}
			cmd.Wait()

			// The registry is consistent and still serves v1; a stored but
			// unpromoted challenger may remain.
			ls := checkConsistent(t, e.reg)
			if ls.Current != v1.Version {
				t.Fatalf("current %d after the kill", ls.Current)
			}
			if mode == "promote" && (orphan != v1.Version+1 || len(ls.Versions) != 2) {
				t.Fatalf("orphan %d, versions %d", orphan, len(ls.Versions))
			}
			info, held, _ := e.reg.Lease(ctx)
			if !held || info.Owner != "child" {
				t.Fatalf("lease %+v held %v: the dead trainer's lease should still be running out", info, held)
			}
			// The other instance cannot train until the lease expires, then
			// takes over with a newer token, trains and promotes.
			b := e.retrainer(t, RetrainConfig{Owner: "survivor", Steps: 100, LeaseTTL: time.Second}, InProcess{})
			if out := b.RetrainOnce(ctx, "manual", true); out.Reason != "lease_busy" {
				t.Fatalf("survivor before expiry: %+v", out)
			}
			var out Outcome
			waitFor(t, 10*time.Second, "the survivor to take over", func() bool {
				out = b.RetrainOnce(ctx, "manual", true)
				return out.Reason != "lease_busy"
			})
			if out.Result != "promoted" || out.Parent != v1.Version {
				t.Fatalf("survivor: %+v", out)
			}
			ls = checkConsistent(t, e.reg)
			if ls.Current != out.Version || ls.Current == orphan {
				t.Fatalf("current %d, survivor promoted %d, orphan %d", ls.Current, out.Version, orphan)
			}
			if _, held, _ := e.reg.Lease(ctx); held {
				t.Fatal("survivor kept the lease")
			}
		})
	}
}
