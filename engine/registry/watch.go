package registry

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/streamcast/streamcast/engine/model"
)

// Watcher keeps a process on the registry's current version: every move
// of current (promotion, rollback) is announced on the events channel and
// applied within moments; a poll every Interval is the fallback for
// missed messages (pub/sub is at most once, e.g. across a reconnection).
type Watcher struct {
	// Registry is watched (required).
	Registry *Registry
	// Interval is the polling period (default 2s).
	Interval time.Duration
	// Apply receives each new current version, verified and decoded, from
	// the Run goroutine, in order. An error is logged and the version is
	// retried at the next notification or poll.
	Apply func(ctx context.Context, l *model.Loaded, m Meta) error
	// Log receives failures (default: discard).
	Log *slog.Logger

	applied atomic.Int64
	errs    atomic.Int64
}

// Applied returns the last version handed to Apply successfully (0: none).
func (w *Watcher) Applied() int64 { return w.applied.Load() }

// Errors counts failed checks (Redis errors, corrupt blobs, Apply errors).
func (w *Watcher) Errors() int64 { return w.errs.Load() }

// MarkApplied records v as already applied (e.g. the version the process
// started with), so Run does not load it again.
func (w *Watcher) MarkApplied(v int64) { w.applied.Store(v) }

// Sync applies the current version if it differs from the last applied
// one and reports whether it did.
func (w *Watcher) Sync(ctx context.Context) (bool, error) {
	cur, err := w.Registry.Current(ctx)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if cur == w.applied.Load() {
		return false, nil
	}
	l, m, err := w.Registry.Load(ctx, cur)
	if err != nil {
		return false, err
	}
	if err := w.Apply(ctx, l, m); err != nil {
		return false, err
	}
	w.applied.Store(cur)
	return true, nil
}

// Run watches until ctx ends (it returns nil then).
func (w *Watcher) Run(ctx context.Context) error {
	if w.Registry == nil || w.Apply == nil {
		return errors.New("registry: Watcher needs a Registry and Apply")
	}
	log := w.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	iv := w.Interval
	if iv <= 0 {
		iv = 2 * time.Second
	}
	ps := w.Registry.rdb.Subscribe(ctx, w.Registry.channel())
	defer ps.Close()
	msgs := ps.Channel()
	tick := time.NewTicker(iv)
	defer tick.Stop()
	check := func(why string) {
		changed, err := w.Sync(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.errs.Add(1)
			log.Warn("model registry: could not apply the current version", "trigger", why, "err", err)
			return
		}
		if changed {
			log.Info("model registry: switched model", "version", w.applied.Load(), "trigger", why)
		}
	}
	check("start")
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-msgs:
			if !ok {
				msgs = nil // closed: rely on polling
				continue
			}
			check("notification")
		case <-tick.C:
			check("poll")
		}
	}
}
