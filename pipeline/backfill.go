package pipeline

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/streamcast/streamcast/features"
	"github.com/streamcast/streamcast/ingest"
)

// BackfillResult summarises a backfill: rows applied to the feature state,
// and rows skipped because the state already held them or newer events
// (Late; re-running a backfill skips everything it applied before) or a
// replayed source position (Duplicate).
type BackfillResult struct {
	Series     int     `json:"series"`
	Rows       int     `json:"rows"`
	Applied    int64   `json:"applied"`
	Late       int64   `json:"late"`
	Duplicate  int64   `json:"duplicate"`
	Seconds    float64 `json:"seconds"`
	EventsPerS float64 `json:"events_per_s"`
}

// Backfill applies every row of f, in time order per series, to the
// feature state in store (batch rows per Redis round trip), as the
// streaming path would have applied them as events without a source
// position: afterwards each series' state (history ring, count, last time,
// last exogenous values) is exactly what streaming the file would have
// left, so a new deployment forecasts from its first event. f must hold
// timestamps.
func Backfill(ctx context.Context, store *features.Store, f *ingest.Frame, batch int) (*BackfillResult, error) {
	if f.TimeKind != ingest.TimeStamp {
		return nil, fmt.Errorf("backfill: %s has %s times; the feature state keeps event times (timestamps)", f.Source, f.TimeKind)
	}
	if f.Y == nil {
		return nil, fmt.Errorf("backfill: %s has no target column", f.Source)
	}
	if batch < 1 {
		batch = 1000
	}
	res := &BackfillResult{Series: f.NumSeries(), Rows: f.Len()}
	start := time.Now()
	obs := make([]features.Observation, 0, batch)
	dst := make([]features.Result, batch)
	exog := make([]map[string]float64, batch)
	flush := func() error {
		if len(obs) == 0 {
			return nil
		}
		if err := store.Apply(ctx, obs, 0, dst); err != nil {
			return fmt.Errorf("backfill: %w (rows applied so far: %d; running the backfill again is safe)", err, res.Applied)
		}
		for i := range obs {
			switch dst[i].Status {
			case features.Applied:
				res.Applied++
			case features.Late:
				res.Late++
			case features.Duplicate:
				res.Duplicate++
			default:
				return fmt.Errorf("backfill: series %q at %s: observation %v", obs[i].Series, obs[i].TS.Format(time.RFC3339Nano), dst[i].Status)
			}
		}
		obs = obs[:0]
		return nil
	}
	for s, id := range f.IDs {
		for r := f.Offsets[s]; r < f.Offsets[s+1]; r++ {
			ob := features.Observation{Series: id, TS: time.UnixMilli(f.Time[r]).UTC(), Value: f.Y[r],
				Source: features.SourcePos{Offset: -1}}
			if len(f.Exog) > 0 {
				k := len(obs)
				if exog[k] == nil {
					exog[k] = make(map[string]float64, len(f.Exog))
				}
				for j, c := range f.Exog {
					exog[k][f.ExogNames[j]] = c[r]
				}
				ob.Exog = exog[k]
			}
			if err := ob.Validate(); err != nil {
				return res, fmt.Errorf("backfill: %s: %w", f.Source, err)
			}
			obs = append(obs, ob)
			if len(obs) == batch {
				if err := flush(); err != nil {
					return res, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	res.Seconds = time.Since(start).Seconds()
	if res.Seconds > 0 {
		res.EventsPerS = float64(res.Rows) / res.Seconds
	}
	return res, nil
}

// BackfillMain implements `streamcast backfill --data F --redis ADDR`:
// load a history file (ingest.Load: long CSV, Parquet or JSON lines, or a
// wide file) and write it into the Redis feature state with the same key
// prefix and history length as `streamcast run`, so that the service's
// first event of each series already has its history. The summary is one
// JSON line on stdout.
func BackfillMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	var (
		data  string
		load  ingest.LoadOptions
		batch int
	)
	fs.StringVar(&data, "data", "", "history file to load (required)")
	load.RegisterFlags(fs)
	fs.IntVar(&batch, "batch", 1000, "rows per Redis round trip")
	fs.Var(listValue{&cfg.Redis}, "redis", "Redis `host:port,...`: one node, Cluster seed nodes, or Sentinels with --redis-master")
	fs.StringVar(&cfg.RedisMaster, "redis-master", cfg.RedisMaster, "Redis Sentinel master name (empty = no Sentinel)")
	fs.IntVar(&cfg.RedisDB, "redis-db", cfg.RedisDB, "Redis database number (not for Cluster)")
	fs.StringVar(&cfg.RedisAuth.User, "redis-user", cfg.RedisAuth.User, "Redis ACL user (empty = default user)")
	fs.StringVar(&cfg.RedisAuth.PasswordFile, "redis-password-file", cfg.RedisAuth.PasswordFile, "file holding the Redis password (or env "+EnvRedisPassword+")")
	registerTLS(fs, "redis-tls", &cfg.RedisAuth.TLS, "Redis")
	fs.StringVar(&cfg.KeyPrefix, "key-prefix", cfg.KeyPrefix, "prefix of every Redis key (as given to streamcast run)")
	fs.IntVar(&cfg.History, "history", cfg.History, "values kept per series (as given to streamcast run)")
	fs.Var(listValue{&cfg.StepExog}, "step-exog", "exogenous columns kept at every step (`name,...`, as given to streamcast run --step-exog)")
	if err := parseFlags(fs, args, stderr, "usage: streamcast backfill --data FILE [flags]\n\n"+
		"Loads a history file into the Redis feature state used by streamcast run, so a new deployment\n"+
		"forecasts from the first event of each series. Re-running it skips the rows already applied.",
		EnvRedisPassword+"  Redis AUTH password (or --redis-password-file)"); err != nil {
		return err
	}
	if data == "" {
		return fmt.Errorf("%w: backfill: --data is required", ErrConfig)
	}
	if err := cfg.LoadSecrets(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	fcfg := featuresConfig(&cfg)
	if err := fcfg.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	f, rep, err := ingest.Load(data, load)
	if err != nil {
		return err
	}
	for _, name := range cfg.StepExog {
		if _, ok := f.ExogIndex(name); !ok {
			return fmt.Errorf("%w: backfill: --step-exog %s: %s has no such column (it has %v)", ErrConfig, name, data, f.ExogNames)
		}
	}
	if rep.Gaps != nil && (rep.Gaps.Gaps > 0 || rep.Gaps.OffGrid > 0) {
		fmt.Fprintf(stderr, "backfill: %s: %s\n", data, rep.Gaps.String(f.TimeKind))
	}
	rdb, err := NewRedis(ctx, &cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()
	store, err := features.NewStoreWithOptions(rdb, fcfg, features.StoreOptions{CacheSeries: min(max(f.NumSeries(), 64), 1<<20)})
	if err != nil {
		return err
	}
	if err := store.Load(ctx); err != nil {
		return err
	}
	res, err := Backfill(ctx, store, f, batch)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(res)
	_, err = fmt.Fprintln(stdout, string(b))
	return err
}
