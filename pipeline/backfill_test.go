package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/ingest"
	"github.com/streamcast/streamcast/internal/testenv"
)

// backfill writes a long CSV (3 series, hourly, one exogenous column) into
// the real Redis; the stored state is exactly the offline state of the same
// rows, its features equal the offline matrix's last row, a second run
// applies nothing, and a live event afterwards extends the history.
func TestBackfillCommand(t *testing.T) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: testRedisAddr()})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		testenv.NoRedis(t, "no Redis at %s: %v", testRedisAddr(), err)
	}
	prefix := fmt.Sprintf("bftest%d", time.Now().UnixNano())
	var b strings.Builder
	b.WriteString("unique_id,ds,y,temp\n")
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	n := map[string]int{"a": 30, "b": 300, "c": 5}
	for _, id := range []string{"a", "b", "c"} {
		for i := range n[id] {
			fmt.Fprintf(&b, "%s,%s,%g,%g\n", id, start.Add(time.Duration(i)*time.Hour).Format("2006-01-02 15:04:05"),
				10+math.Sin(float64(i)/5)*float64(len(id)+i%7), 20+float64(i%24)/10)
		}
	}
	data := filepath.Join(t.TempDir(), "history.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--data", data, "--redis", testRedisAddr(), "--key-prefix", prefix, "--history", "100", "--batch", "64"}
	var out, errb bytes.Buffer
	if err := BackfillMain(ctx, args, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	var res BackfillResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Applied != 335 || res.Series != 3 || res.Late != 0 {
		t.Fatalf("result %s: %v", out.String(), err)
	}
	cfg := DefaultConfig()
	cfg.KeyPrefix, cfg.History = prefix, 100
	fcfg := featuresConfig(&cfg)
	fcfg.Exog = []string{"temp"}
	store, err := features.NewStore(rdb, fcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Delete(ctx, "a", "b", "c")
	f, _, err := ingest.Load(data, ingest.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var obs []features.Observation
	for s, id := range f.IDs {
		for r := f.Offsets[s]; r < f.Offsets[s+1]; r++ {
			obs = append(obs, features.Observation{Series: id, TS: time.UnixMilli(f.Time[r]), Value: f.Y[r],
				Exog: map[string]float64{"temp": f.Exog[0][r]}, Source: features.SourcePos{Offset: -1}})
		}
	}
	offline := features.Offline(fcfg, obs)
	m, err := f.Features(fcfg, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	for s, id := range f.IDs {
		st, err := store.State(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d := st.Diff(offline[id]); d != "" {
			t.Fatalf("series %s: stored state differs from the offline one: %s", id, d)
		}
		got := fcfg.Features(st, nil)
		for k, v := range m.Row(f.Offsets[s+1] - 1) {
			if math.Float64bits(v) != math.Float64bits(got[k]) && !(math.IsNaN(v) && math.IsNaN(got[k])) {
				t.Fatalf("series %s feature %s: online %v, offline matrix %v", id, m.Names[k], got[k], v)
			}
		}
	}
	// Again: everything is already there.
	out.Reset()
	if err := BackfillMain(ctx, args, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Applied != 0 || res.Late != 335 {
		t.Fatalf("second run %s", out.String())
	}
	// The first live event of "c" continues its history.
	dst := make([]features.Result, 1)
	live := []features.Observation{{Series: "c", TS: start.Add(5 * time.Hour), Value: 1, Source: features.SourcePos{Partition: 0, Offset: 0}}}
	if err := store.Apply(ctx, live, 6, dst); err != nil || dst[0].Status != features.Applied || dst[0].Count != 6 || len(dst[0].Tail) != 6 {
		t.Fatalf("live event: %+v %v", dst[0], err)
	}
	// Integer time cannot be backfilled.
	os.WriteFile(data, []byte("unique_id,ds,y\na,1,1\n"), 0o600)
	if err := BackfillMain(ctx, args, &out, &errb); err == nil || !strings.Contains(err.Error(), "int times") {
		t.Fatalf("int times: %v", err)
	}
}

// TestBackfillStepExog: --step-exog keeps a file column at every step of
// the stored ring, as the stream does for message variables; a name that
// is not a column is refused before anything is written.
func TestBackfillStepExog(t *testing.T) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: testRedisAddr()})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		testenv.NoRedis(t, "no Redis at %s: %v", testRedisAddr(), err)
	}
	prefix := fmt.Sprintf("bfx%d", time.Now().UnixNano())
	var b strings.Builder
	b.WriteString("unique_id,ds,y,temp,load\n")
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 40 {
		fmt.Fprintf(&b, "a,%s,%d,%g,%d\n", start.Add(time.Duration(i)*time.Hour).Format(time.RFC3339), i, 20+float64(i%24)/10, i*2)
	}
	data := filepath.Join(t.TempDir(), "history.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--data", data, "--redis", testRedisAddr(), "--key-prefix", prefix, "--history", "32"}
	var out, errb bytes.Buffer
	if err := BackfillMain(ctx, append(base, "--step-exog", "temp,nope"), &out, &errb); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("unknown column: %v", err)
	}
	if err := BackfillMain(ctx, append(base, "--step-exog", "load,temp"), &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	cfg := DefaultConfig()
	cfg.KeyPrefix, cfg.History, cfg.StepExog = prefix, 32, []string{"load", "temp"}
	store, err := features.NewStore(rdb, featuresConfig(&cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Delete(ctx, "a")
	st, err := store.State(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.ExogSteps) != 2*32 {
		t.Fatalf("%d per-step values", len(st.ExogSteps))
	}
	for j := range 32 {
		i := 40 - 32 + j
		if st.ExogSteps[2*j] != float64(i*2) || st.ExogSteps[2*j+1] != 20+float64(i%24)/10 {
			t.Fatalf("step %d: %v", i, st.ExogSteps[2*j:2*j+2])
		}
	}
}
