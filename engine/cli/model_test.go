package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/engine/model"
	"github.com/streamcast/streamcast/engine/registry"
	"github.com/streamcast/streamcast/internal/testenv"
)

// testConnector connects to the test Redis under a unique prefix.
type testConnector struct{ addr, prefix string }

func (c *testConnector) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "redis", c.addr, "redis address")
}
func (c *testConnector) KeyPrefix() string { return c.prefix }
func (c *testConnector) Connect(ctx context.Context) (redis.UniversalClient, error) {
	rdb := redis.NewClient(&redis.Options{Addr: c.addr})
	return rdb, rdb.Ping(ctx).Err()
}

func TestModelCommands(t *testing.T) {
	conn := &testConnector{addr: testenv.Redis(t, testenv.RedisAddr()), prefix: fmt.Sprintf("sctest-cli-%d", time.Now().UnixNano())}
	rdb := redis.NewClient(&redis.Options{Addr: conn.addr})
	t.Cleanup(func() {
		keys, _ := rdb.Keys(context.Background(), conn.prefix+":*").Result()
		if len(keys) > 0 {
			rdb.Del(context.Background(), keys...)
		}
		rdb.Close()
	})
	dir := t.TempDir()
	var files []string
	for seed := 1; seed <= 2; seed++ {
		m, err := model.New("mlp", []byte(fmt.Sprintf(`{"input_size":8,"h":4,"hidden_size":16,"num_layers":1,"random_seed":%d}`, seed)))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("m%d.scm", seed))
		if err := model.Save(p, m, []byte(`{"trained_by":"test"}`)); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	cmd := func(args ...string) (string, error) {
		t.Helper()
		var out, errb bytes.Buffer
		err := ModelMain(context.Background(), append(args, "--registry", "r"), &out, &errb, conn)
		return out.String(), err
	}
	if out, err := cmd("push", files[0], "--promote"); err != nil || !strings.Contains(out, "as version 1 (1-") || !strings.Contains(out, "promoted") {
		t.Fatalf("push: %q %v", out, err)
	}
	if out, err := cmd("push", files[1], "--json"); err != nil || strings.TrimSpace(out) != `{"promoted":false,"version":2}` {
		t.Fatalf("push --json: %q %v", out, err)
	}
	out, err := cmd("list")
	if err != nil || !strings.Contains(out, "current: 1   history: [1]") || !strings.Contains(out, "*  1-") || !strings.Contains(out, "trainer lease: free") {
		t.Fatalf("list: %q %v", out, err)
	}
	if out, err := cmd("promote", "2"); err != nil || strings.TrimSpace(out) != "promoted version 2 (was 1)" {
		t.Fatalf("promote: %q %v", out, err)
	}
	out, err = cmd("show", "current", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var shown struct {
		Version  int64           `json:"version"`
		Current  bool            `json:"current"`
		Params   int             `json:"params"`
		Kind     string          `json:"kind"`
		Note     string          `json:"note"`
		FileMeta json.RawMessage `json:"file_meta"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil || shown.Version != 2 || !shown.Current || shown.Kind != "mlp" ||
		shown.Params != (8+1)*16+(16+1)*4 || !strings.HasPrefix(shown.Note, "pushed from") || string(shown.FileMeta) != `{"trained_by":"test"}` {
		t.Fatalf("show: %s (%v)", out, err)
	}
	if out, err := cmd("rollback", "--json"); err != nil || strings.TrimSpace(out) != `{"from":2,"to":1}` {
		t.Fatalf("rollback: %q %v", out, err)
	}
	reg, _ := registry.New(rdb, registry.Config{KeyPrefix: conn.prefix, Name: "r"})
	if cur, _ := reg.Current(context.Background()); cur != 1 {
		t.Fatalf("current after rollback: %d", cur)
	}
	if _, err := cmd("rollback"); !errors.Is(err, registry.ErrNoHistory) {
		t.Fatalf("rollback without history: %v", err)
	}
	if _, err := cmd("promote", "9"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("promote missing: %v", err)
	}
	for _, bad := range [][]string{{"promote"}, {"show", "x"}, {"list", "3"}, {"frobnicate"}} {
		if _, err := cmd(bad...); !errors.Is(err, errUsage) {
			t.Errorf("%v: err %v, want a usage error", bad, err)
		}
	}
}
