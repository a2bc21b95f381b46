// Package ingest reads observations from Kafka: a Codec decodes message
// values into features.Observation (bad input becomes a *PoisonError that
// the pipeline routes to a dead-letter topic through DeadLetter), and
// KafkaSource runs a consumer group that hands per-partition batches, in
// offset order, to a BatchHandler and commits offsets only after the handler
// reports success.
package ingest

import (
	"context"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// Batch is a run of consecutive messages of one partition, in offset order.
type Batch struct {
	Topic     string
	Partition int
	Messages  []kafka.Message
}

// BatchHandler processes batches.
//
// HandleBatch must return nil only when every message's effects are durable
// (state written, outputs acked, rejected messages acked by the dead-letter
// topic); the source then commits the last offset + 1. An error wrapping
// ErrTransient makes the source retry the same batch with capped exponential
// backoff and no commit; any other error is fatal and ends KafkaSource.Run.
//
// HandleBatch is called concurrently for different partitions, never
// concurrently for the same partition. The Batch and its Messages slice
// are reused after HandleBatch returns; copy what must outlive the call.
type BatchHandler interface {
	HandleBatch(ctx context.Context, b *Batch) error
}

// BatchHandlerFunc adapts a function to BatchHandler.
type BatchHandlerFunc func(ctx context.Context, b *Batch) error

// HandleBatch implements BatchHandler.
func (f BatchHandlerFunc) HandleBatch(ctx context.Context, b *Batch) error { return f(ctx, b) }

// ErrTransient marks errors worth retrying (broker or Redis unavailable,
// timeouts). Wrap it: fmt.Errorf("...: %w", ingest.ErrTransient) or use
// Transient(err).
var ErrTransient = errors.New("transient")

type transientError struct{ err error }

func (e transientError) Error() string        { return e.err.Error() }
func (e transientError) Unwrap() []error      { return []error{e.err, ErrTransient} }
func (e transientError) Is(target error) bool { return target == ErrTransient }

// Transient wraps err so that IsTransient(err) reports true, keeping err in
// the chain for errors.Is/As. Transient(nil) is nil.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return transientError{err: err}
}

// IsTransient reports whether err is marked transient.
func IsTransient(err error) bool { return errors.Is(err, ErrTransient) }

// PoisonError describes a message that can never be processed. Such
// messages go to the dead-letter topic with Reason and Detail as headers.
type PoisonError struct {
	// Reason is short and machine-readable; see the Reason* constants.
	Reason string
	// Detail is a human-readable explanation (bounded in length).
	Detail string
}

// Poison reasons.
const (
	ReasonNotJSON        = "not_json"
	ReasonMissingSeries  = "missing_series"
	ReasonBadSeries      = "bad_series"
	ReasonMissingTS      = "missing_ts"
	ReasonMissingValue   = "missing_value"
	ReasonNotFinite      = "not_finite"
	ReasonValueNotNumber = "value_not_number"
	ReasonBadTS          = "bad_ts"
	ReasonTSOutOfRange   = "ts_out_of_range"
	ReasonBadExog        = "bad_exog"
	ReasonOversized      = "oversized"
	ReasonKeyMismatch    = "key_mismatch"
)

func (e *PoisonError) Error() string {
	return fmt.Sprintf("ingest: poison message (%s): %s", e.Reason, e.Detail)
}

// AsPoison returns the *PoisonError in err's chain, if any.
func AsPoison(err error) (*PoisonError, bool) {
	var p *PoisonError
	ok := errors.As(err, &p)
	return p, ok
}
