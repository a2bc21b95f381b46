package features

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestApplyBadSeriesIsolated: a series whose stored state cannot be used
// (garbage header, a key of another type, a truncated ring, state written
// under another History, an exogenous hash of another type) gets BadState
// with the reason in Result.Err, nothing of it is written, and every other
// series of the same batch is applied as usual; Apply itself succeeds.
func TestApplyBadSeriesIsolated(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			rdb, cfg := be.open(t)
			cfg.History, cfg.Windows, cfg.Lags = 8, nil, nil
			s := newTestStore(t, rdb, cfg)
			ctx := context.Background()
			other := cfg
			other.History = 16
			so := newTestStore(t, rdb, other)
			dst := make([]Result, 1)
			if err := so.Apply(ctx, []Observation{obAt("resized", 0, 1, 0, 0)}, 1, dst); err != nil {
				t.Fatal(err)
			}
			if err := s.Apply(ctx, []Observation{obAt("truncated", 0, 1, 0, 0), obAt("xtype", 0, 1, 0, 1)}, 1, make([]Result, 2)); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				key, cmd string
				args     []any
			}{
				{s.Keys("garbage")[0], "set", []any{strings.Repeat("\xff", hdrLen+16*8)}},
				{s.Keys("zerocount")[0], "set", []any{string(make([]byte, hdrLen+16*8))}},
				{s.Keys("hash")[0], "hset", []any{"a", "1"}},
				{s.Keys("xtype")[1], "del", nil},
				{s.Keys("xtype")[1], "set", []any{"not a hash"}},
			} {
				if err := rdb.Do(ctx, append([]any{c.cmd, c.key}, c.args...)...).Err(); err != nil {
					t.Fatal(err)
				}
			}
			blob, err := rdb.Get(ctx, s.Keys("truncated")[0]).Result()
			if err != nil {
				t.Fatal(err)
			}
			if err := rdb.Set(ctx, s.Keys("truncated")[0], blob[:hdrLen+16], 0).Err(); err != nil {
				t.Fatal(err)
			}
			s.ForgetCache() // a new process: every series is read first
			withExog := obAt("xtype", 1, 2, 0, 2)
			withExog.Exog = map[string]float64{"temp": 3}
			obs := []Observation{
				obAt("ok", 0, 1, 0, 3),
				obAt("garbage", 0, 1, 0, 4),
				obAt("zerocount", 0, 1, 0, 5),
				obAt("hash", 0, 1, 0, 6),
				obAt("resized", 1, 1, 0, 7),
				obAt("truncated", 1, 1, 0, 8),
				withExog,
				obAt("ok", 1, 2, 0, 10),
				obAt("xtype", 2, 3, 0, 11), // no exogenous value: applies
			}
			res := make([]Result, len(obs))
			if err := s.Apply(ctx, obs, 2, res); err != nil {
				t.Fatalf("one bad series failed the batch: %v", err)
			}
			want := []Status{Applied, BadState, BadState, BadState, BadState, BadState, BadState, Applied, Applied}
			for i := range obs {
				if res[i].Status != want[i] {
					t.Errorf("%s: %v (%v), want %v", obs[i].Series, res[i].Status, res[i].Err, want[i])
				}
				if (res[i].Status == BadState) != (res[i].Err != nil) {
					t.Errorf("%s: status %v with error %v", obs[i].Series, res[i].Status, res[i].Err)
				}
			}
			if !errors.Is(res[4].Err, ErrConfigMismatch) || errors.Is(res[1].Err, ErrConfigMismatch) {
				t.Errorf("resized: %v; garbage: %v", res[4].Err, res[1].Err)
			}
			if st, err := s.State(ctx, "ok"); err != nil || st.Count != 2 {
				t.Fatalf("ok: %v %v", st, err)
			}
			// The failed exogenous write left the state as it was; the
			// event without exogenous values was applied right after the first.
			h, err := rdb.GetRange(ctx, s.Keys("xtype")[0], 0, hdrLen-1).Result()
			if err != nil {
				t.Fatal(err)
			}
			if hdr, err := decodeHeader(h, s.fp); err != nil || hdr.count != 2 || hdr.lastOff != 11 {
				t.Fatalf("xtype header %+v %v, want count 2 at offset 11", hdr, err)
			}
			// Reading states reports bad series one by one.
			sts, errs, err := s.StatesPartial(ctx, []string{"xtype", "ok", "hash", "none"})
			if err != nil {
				t.Fatal(err)
			}
			if errs[0] == nil || errs[1] != nil || sts[1] == nil || sts[1].Count != 2 || errs[2] == nil || sts[3] != nil || errs[3] != nil {
				t.Fatalf("StatesPartial: %v %v", sts, errs)
			}
			if _, err := s.States(ctx, []string{"ok", "hash"}); err == nil {
				t.Fatal("States hides a bad series")
			}
		})
	}
}
