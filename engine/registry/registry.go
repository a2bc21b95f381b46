// Package registry keeps versioned forecasting models in Redis so that
// several streamcast instances can share, promote and roll back them
// safely.
//
// One registry (a lineage of models, named by Config.Name) lives under the
// keys <prefix>:reg:{<name>}:… — all in one Redis Cluster hash slot, so every
// multi-key update is one atomic Lua script:
//
//	seq            INCR counter: the next version number (versions start at 1, never reused)
//	blob:<v>       the model file bytes of version v (engine/model's format, CRC-32C trailer)
//	meta:<v>       Meta JSON: created time, SHA-256 and size of the blob, parent, training data range, steps, scores
//	versions       sorted set of the versions that have both blob and meta
//	current        the serving version (decimal)
//	history        list of promoted versions, oldest first (rollback pops it)
//	rejections     capped list of Rejection JSON (challengers that lost or failed)
//	lease          the trainer lease: "<token>:<owner>", with an expiry
//	fence          INCR counter of lease tokens (fencing tokens)
//
// and the pub/sub channel <prefix>:reg:{<name>}:events, on which every move of
// current is announced.
//
// Crash safety: a version is written by one script that stores its blob, its
// meta and its entry in versions together, so it is either complete or
// absent. Before current moves (Promote, Rollback), the blob is read back,
// its length and SHA-256 are checked against the meta and it is decoded as
// a model; the move itself is a script that re-checks the blob's length,
// the lease's fencing token and the expected previous state. A process that
// dies at any point therefore leaves current at a complete, verified
// version: at worst an unpromoted version remains in the list.
//
// Fencing: a trainer holds the lease (TryAcquire, Hold) and passes its
// token to Put and Promote; the scripts refuse the write (ErrFenced) unless
// the lease still holds that token, so a trainer that stalled past its
// lease's expiry cannot overwrite the work of the instance that took over.
// Token 0 is the operator (the `streamcast model` CLI): it is not fenced.
package registry

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/streamcast/streamcast/engine/model"
)

// Errors of registry operations (test with errors.Is).
var (
	// ErrNotFound: the version (or a current version) does not exist.
	ErrNotFound = errors.New("registry: not found")
	// ErrCorrupt: a blob does not match its meta (length, SHA-256) or does
	// not decode as a model.
	ErrCorrupt = errors.New("registry: corrupt model blob")
	// ErrFenced: the write carried a fencing token that is no longer the
	// lease's.
	ErrFenced = errors.New("registry: fenced: the lease is held by another token")
	// ErrConflict: the registry changed under a compare-and-set (e.g. a
	// concurrent promotion during a rollback).
	ErrConflict = errors.New("registry: concurrent change")
	// ErrNoHistory: rollback needs a previously promoted version.
	ErrNoHistory = errors.New("registry: no previous version to roll back to")
)

// Config locates a registry. Zero values take the defaults.
type Config struct {
	// KeyPrefix prefixes every key (default "sc", the pipeline's
	// --key-prefix).
	KeyPrefix string
	// Name names the lineage of models (default "default"); instances that
	// serve the same models use the same name.
	Name string
	// HistoryLen bounds the promotion history kept for rollbacks
	// (default 100).
	HistoryLen int
	// RejectionsLen bounds the rejection log (default 100).
	RejectionsLen int
}

// Validate reports invalid settings.
func (c Config) Validate() error {
	if c.HistoryLen < 0 || c.RejectionsLen < 0 {
		return errors.New("registry: HistoryLen and RejectionsLen must be >= 0")
	}
	for _, r := range c.Name + c.KeyPrefix {
		if r == '{' || r == '}' || r < ' ' {
			return fmt.Errorf("registry: name %q and key prefix %q must not contain braces or control characters", c.Name, c.KeyPrefix)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.KeyPrefix == "" {
		c.KeyPrefix = "sc"
	}
	if c.Name == "" {
		c.Name = "default"
	}
	if c.HistoryLen == 0 {
		c.HistoryLen = 100
	}
	if c.RejectionsLen == 0 {
		c.RejectionsLen = 100
	}
	return c
}

// Meta describes one stored version. Everything but the identification
// fields (Version, Kind, SHA256, Size, CRC32C, Created) is supplied by the
// writer.
type Meta struct {
	Version int64     `json:"version"`
	Kind    string    `json:"kind"`
	SHA256  string    `json:"sha256"`
	Size    int64     `json:"size"`
	CRC32C  uint32    `json:"crc32c"`
	Created time.Time `json:"created"`
	// Parent is the version the model was warm-started from (0: none).
	Parent int64 `json:"parent"`
	// FromScratch reports a training from fresh weights.
	FromScratch bool `json:"from_scratch,omitempty"`
	// Steps is the number of optimisation steps of the training.
	Steps int `json:"steps"`
	// DataFrom and DataTo bound the event times of the training data.
	DataFrom time.Time `json:"data_from,omitzero"`
	DataTo   time.Time `json:"data_to,omitzero"`
	// Series and Windows count the training series and held-out windows.
	Series int `json:"series,omitempty"`
	// TrainLoss is the loss of the last training step.
	TrainLoss float64 `json:"train_loss,omitempty"`
	// Scores are the validation scores on the held-out windows (nil for a
	// model that was not evaluated, e.g. the first one).
	Scores *Scores `json:"scores,omitempty"`
	// Trainer identifies the instance that wrote the version.
	Trainer string `json:"trainer,omitempty"`
	// Note is free text (e.g. "seed" or "imported from mlp.scm").
	Note string `json:"note,omitempty"`
}

// Scores compares a model with the serving one on the same held-out
// windows: MAE and sMAPE (percent, M4's definition) over every window and
// horizon step.
type Scores struct {
	MAE         float64 `json:"mae"`
	SMAPE       float64 `json:"smape"`
	ParentMAE   float64 `json:"parent_mae"`
	ParentSMAPE float64 `json:"parent_smape"`
	Windows     int     `json:"windows"`
}

// VersionString is how forecasts name version v of a blob with CRC-32C crc:
// "<v>-<crc as 8 hex digits>", e.g. "3-8f3a2c1d". The checksum keeps
// forecast ids unique even if a registry is wiped and versions restart.
func VersionString(v int64, crc uint32) string {
	return strconv.FormatInt(v, 10) + "-" + fmt.Sprintf("%08x", crc)
}

// VersionString returns m's forecast version string.
func (m *Meta) VersionString() string { return VersionString(m.Version, m.CRC32C) }

// Registry is a model registry in Redis. It is safe for concurrent use.
type Registry struct {
	rdb  redis.UniversalClient
	cfg  Config
	base string
}

// New returns the registry cfg on rdb.
func New(rdb redis.UniversalClient, cfg Config) (*Registry, error) {
	if rdb == nil {
		return nil, errors.New("registry: nil redis client")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Registry{rdb: rdb, cfg: cfg, base: cfg.KeyPrefix + ":reg:{" + cfg.Name + "}:"}, nil
}

// Config returns the registry's configuration (with defaults).
func (r *Registry) Config() Config { return r.cfg }

func (r *Registry) key(s string) string    { return r.base + s }
func (r *Registry) blobKey(v int64) string { return r.base + "blob:" + strconv.FormatInt(v, 10) }
func (r *Registry) metaKey(v int64) string { return r.base + "meta:" + strconv.FormatInt(v, 10) }
func (r *Registry) channel() string        { return r.base + "events" }

func wrap(op string, err error) error { return fmt.Errorf("registry: %s: %w", op, err) }

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// fileCRC is a model file's CRC-32C trailer (its identity, see model.Loaded).
func fileCRC(b []byte) uint32 { return binary.LittleEndian.Uint32(b[len(b)-4:]) }

func tokenArg(token int64) string { return strconv.FormatInt(token, 10) }
func versionArg(v int64) string   { return strconv.FormatInt(v, 10) }

func parseVersion(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

// scriptErr maps a script's error reply to the package's errors.
func (r *Registry) scriptErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case redis.HasErrorPrefix(err, "FENCED"):
		return fmt.Errorf("registry: %s: %w", op, ErrFenced)
	case redis.HasErrorPrefix(err, "CONFLICT"):
		return fmt.Errorf("registry: %s: %w (%v)", op, ErrConflict, err)
	case redis.HasErrorPrefix(err, "NOTFOUND"):
		return fmt.Errorf("registry: %s: %w (%v)", op, ErrNotFound, err)
	case redis.HasErrorPrefix(err, "CORRUPT"):
		return fmt.Errorf("registry: %s: %w (%v)", op, ErrCorrupt, err)
	}
	return wrap(op, err)
}

// fenceLua checks ARGV[1] (token; "0" = operator) against KEYS[1] (lease).
const fenceLua = `
local function fence(key, tok)
  if tok == '0' then return end
  local cur = redis.call('GET', key)
  if not cur then return redis.error_reply('FENCED lease expired') end
  local t = string.match(cur, '^(%d+):')
  if t ~= tok then return redis.error_reply('FENCED lease token ' .. tostring(t)) end
end
`

// putScript: KEYS lease, blob, meta, versions; ARGV token, version, blob, meta.
var putScript = redis.NewScript(fenceLua + `
local e = fence(KEYS[1], ARGV[1]); if e then return e end
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then
  return redis.error_reply('CONFLICT version ' .. ARGV[2] .. ' already exists')
end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('SET', KEYS[3], ARGV[4])
redis.call('ZADD', KEYS[4], tonumber(ARGV[2]), ARGV[2])
return 1
`)

// Put stores a new version: blob is a model file (model.Encode), meta
// carries the writer's fields (Version, Kind, SHA256, Size, CRC32C and a
// zero Created are filled in). token is the caller's lease token (0 for an
// operator). The blob is decoded first, so a corrupt model is never stored.
// The returned Meta is what was stored; the version is not promoted.
func (r *Registry) Put(ctx context.Context, blob []byte, meta Meta, token int64) (Meta, error) {
	l, err := model.Decode(blob)
	if err != nil {
		return Meta{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	v, err := r.rdb.Incr(ctx, r.key("seq")).Result()
	if err != nil {
		return Meta{}, wrap("allocate version", err)
	}
	meta.Version, meta.Kind, meta.Size, meta.SHA256, meta.CRC32C = v, l.Model.Kind(), int64(len(blob)), sha(blob), fileCRC(blob)
	if meta.Created.IsZero() {
		meta.Created = time.Now().UTC()
	}
	mj, err := json.Marshal(meta)
	if err != nil {
		return Meta{}, wrap("encode meta", err)
	}
	keys := []string{r.key("lease"), r.blobKey(v), r.metaKey(v), r.key("versions")}
	if err := putScript.Run(ctx, r.rdb, keys, tokenArg(token), versionArg(v), blob, mj).Err(); err != nil {
		return Meta{}, r.scriptErr("put", err)
	}
	return meta, nil
}

// Meta returns the meta of version v (ErrNotFound if absent).
func (r *Registry) Meta(ctx context.Context, v int64) (Meta, error) {
	s, err := r.rdb.Get(ctx, r.metaKey(v)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Meta{}, fmt.Errorf("registry: version %d: %w", v, ErrNotFound)
	}
	if err != nil {
		return Meta{}, wrap("read meta", err)
	}
	var m Meta
	if err := json.Unmarshal(s, &m); err != nil {
		return Meta{}, fmt.Errorf("registry: version %d: meta: %w: %w", v, ErrCorrupt, err)
	}
	return m, nil
}

// Blob reads version v's blob and verifies it against its meta (length and
// SHA-256; ErrCorrupt otherwise).
func (r *Registry) Blob(ctx context.Context, v int64) ([]byte, Meta, error) {
	m, err := r.Meta(ctx, v)
	if err != nil {
		return nil, Meta{}, err
	}
	b, err := r.rdb.Get(ctx, r.blobKey(v)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, m, fmt.Errorf("registry: version %d: blob missing: %w", v, ErrCorrupt)
	}
	if err != nil {
		return nil, m, wrap("read blob", err)
	}
	if int64(len(b)) != m.Size {
		return nil, m, fmt.Errorf("registry: version %d: blob has %d bytes, meta says %d: %w", v, len(b), m.Size, ErrCorrupt)
	}
	if got := sha(b); got != m.SHA256 {
		return nil, m, fmt.Errorf("registry: version %d: blob SHA-256 %s, meta says %s: %w", v, got, m.SHA256, ErrCorrupt)
	}
	return b, m, nil
}

// Load reads, verifies and decodes version v. The model is a fresh copy
// (its weights may be trained).
func (r *Registry) Load(ctx context.Context, v int64) (*model.Loaded, Meta, error) {
	b, m, err := r.Blob(ctx, v)
	if err != nil {
		return nil, m, err
	}
	l, err := model.Decode(b)
	if err != nil {
		return nil, m, fmt.Errorf("registry: version %d: %w: %w", v, ErrCorrupt, err)
	}
	return l, m, nil
}

// Current returns the serving version (ErrNotFound when none was promoted).
func (r *Registry) Current(ctx context.Context) (int64, error) {
	s, err := r.rdb.Get(ctx, r.key("current")).Result()
	if errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("registry %s: no current version: %w", r.cfg.Name, ErrNotFound)
	}
	if err != nil {
		return 0, wrap("read current", err)
	}
	v, err := parseVersion(s)
	if err != nil {
		return 0, fmt.Errorf("registry: current %q: %w", s, ErrCorrupt)
	}
	return v, nil
}

// Listing is the registry's content.
type Listing struct {
	Current  int64   // 0 if none
	History  []int64 // promoted versions, oldest first
	Versions []Meta  // stored versions, ascending
}

// List returns every stored version with the current one and the history.
func (r *Registry) List(ctx context.Context) (*Listing, error) {
	out := &Listing{}
	cur, err := r.Current(ctx)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	out.Current = cur
	if out.History, err = r.history(ctx); err != nil {
		return nil, err
	}
	vs, err := r.rdb.ZRange(ctx, r.key("versions"), 0, -1).Result()
	if err != nil {
		return nil, wrap("list versions", err)
	}
	if len(vs) == 0 {
		return out, nil
	}
	keys := make([]string, len(vs))
	for i, s := range vs {
		v, err := parseVersion(s)
		if err != nil {
			return nil, fmt.Errorf("registry: version %q: %w", s, ErrCorrupt)
		}
		keys[i] = r.metaKey(v)
	}
	vals, err := r.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, wrap("read metas", err)
	}
	for i, x := range vals {
		s, ok := x.(string)
		if !ok {
			continue // pruned between ZRANGE and MGET
		}
		var m Meta
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return nil, fmt.Errorf("registry: %s: %w: %w", keys[i], ErrCorrupt, err)
		}
		out.Versions = append(out.Versions, m)
	}
	return out, nil
}

func (r *Registry) history(ctx context.Context) ([]int64, error) {
	hs, err := r.rdb.LRange(ctx, r.key("history"), 0, -1).Result()
	if err != nil {
		return nil, wrap("read history", err)
	}
	out := make([]int64, 0, len(hs))
	for _, s := range hs {
		v, err := parseVersion(s)
		if err != nil {
			return nil, fmt.Errorf("registry: history entry %q: %w", s, ErrCorrupt)
		}
		out = append(out, v)
	}
	return out, nil
}

// Rejection records a challenger that was not promoted.
type Rejection struct {
	At      time.Time `json:"at"`
	Parent  int64     `json:"parent"`
	Reason  string    `json:"reason"` // "worse", "diverged", "exploding", "timeout", "error"
	Detail  string    `json:"detail,omitempty"`
	Steps   int       `json:"steps"`
	Scores  *Scores   `json:"scores,omitempty"`
	Trainer string    `json:"trainer,omitempty"`
}

// RecordRejection appends rj to the capped rejection log.
func (r *Registry) RecordRejection(ctx context.Context, rj Rejection) error {
	b, err := json.Marshal(rj)
	if err != nil {
		return wrap("encode rejection", err)
	}
	pipe := r.rdb.TxPipeline()
	pipe.RPush(ctx, r.key("rejections"), b)
	pipe.LTrim(ctx, r.key("rejections"), int64(-r.cfg.RejectionsLen), -1)
	if _, err := pipe.Exec(ctx); err != nil {
		return wrap("record rejection", err)
	}
	return nil
}

// Rejections returns the rejection log, oldest first.
func (r *Registry) Rejections(ctx context.Context) ([]Rejection, error) {
	ss, err := r.rdb.LRange(ctx, r.key("rejections"), 0, -1).Result()
	if err != nil {
		return nil, wrap("read rejections", err)
	}
	out := make([]Rejection, 0, len(ss))
	for _, s := range ss {
		var rj Rejection
		if err := json.Unmarshal([]byte(s), &rj); err != nil {
			return nil, fmt.Errorf("registry: rejection: %w: %w", ErrCorrupt, err)
		}
		out = append(out, rj)
	}
	return out, nil
}
