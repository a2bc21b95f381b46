package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// Dead-letter header names.
const (
	HeaderReason          = "streamcast-reason"
	HeaderDetail          = "streamcast-detail"
	HeaderSourceTopic     = "streamcast-source-topic"
	HeaderSourcePartition = "streamcast-source-partition"
	HeaderSourceOffset    = "streamcast-source-offset"
)

// DeadLetterTopic is the default dead-letter topic of an input topic.
func DeadLetterTopic(input string) string { return input + ".dlq" }

// Rejected is an input message that can never be processed.
type Rejected struct {
	Msg    kafka.Message
	Reason string // PoisonError.Reason or another short machine-readable code
	Detail string
}

// DeadLetterConfig configures DeadLetter. Zero values mean the defaults.
type DeadLetterConfig struct {
	// Brokers are the bootstrap addresses (required).
	Brokers []string
	// Topic is the dead-letter topic (required; DeadLetterTopic(input) by convention).
	Topic string
	// Transport carries TLS/SASL; nil means a fresh kafka.Transport.
	Transport *kafka.Transport
	// BatchTimeout for partial batches (default 2ms).
	BatchTimeout time.Duration
	// WriteTimeout per produce request (default 10s).
	WriteTimeout time.Duration
	// MaxAttempts per produce request inside kafka-go (default 3).
	MaxAttempts int
	// AllowAutoTopicCreation lets the writer create the topic (default false).
	AllowAutoTopicCreation bool
	// Logger receives the writer's error log (default: discard).
	Logger *slog.Logger
}

// Validate reports missing or negative settings.
func (c *DeadLetterConfig) Validate() error {
	if len(c.Brokers) == 0 || c.Topic == "" {
		return errors.New("ingest: DeadLetterConfig needs Brokers and Topic")
	}
	if c.BatchTimeout < 0 || c.WriteTimeout < 0 || c.MaxAttempts < 0 {
		return errors.New("ingest: DeadLetterConfig timeouts and attempts must be >= 0")
	}
	return nil
}

// DeadLetter writes rejected messages to a dead-letter topic, keeping the
// original key, value and headers and adding the streamcast-* headers.
// Send returns only after all replicas acked (RequireAll). It is safe for
// concurrent use.
type DeadLetter struct {
	w *kafka.Writer
}

// NewDeadLetter builds a dead-letter writer. Close it when done.
func NewDeadLetter(cfg DeadLetterConfig) (*DeadLetter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BatchTimeout == 0 {
		cfg.BatchTimeout = 2 * time.Millisecond
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.Transport == nil {
		cfg.Transport = &kafka.Transport{}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &kafka.Writer{
		Addr:                   kafka.TCP(cfg.Brokers...),
		Topic:                  cfg.Topic,
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		BatchSize:              1000,
		BatchTimeout:           cfg.BatchTimeout,
		WriteTimeout:           cfg.WriteTimeout,
		MaxAttempts:            cfg.MaxAttempts,
		WriteBackoffMin:        10 * time.Millisecond,
		WriteBackoffMax:        500 * time.Millisecond,
		Transport:              cfg.Transport,
		AllowAutoTopicCreation: cfg.AllowAutoTopicCreation,
		ErrorLogger:            errorLogger(log, "ingest.deadletter"),
	}
	return &DeadLetter{w: w}, nil
}

// Topic is the dead-letter topic.
func (d *DeadLetter) Topic() string { return d.w.Topic }

// Message builds the dead-letter message for r (exported for tests and
// for callers with their own writer).
func (r *Rejected) Message() kafka.Message {
	hs := make([]kafka.Header, 0, len(r.Msg.Headers)+5)
	hs = append(hs, r.Msg.Headers...)
	hs = append(hs,
		kafka.Header{Key: HeaderReason, Value: []byte(r.Reason)},
		kafka.Header{Key: HeaderDetail, Value: []byte(r.Detail)},
		kafka.Header{Key: HeaderSourceTopic, Value: []byte(r.Msg.Topic)},
		kafka.Header{Key: HeaderSourcePartition, Value: strconv.AppendInt(nil, int64(r.Msg.Partition), 10)},
		kafka.Header{Key: HeaderSourceOffset, Value: strconv.AppendInt(nil, r.Msg.Offset, 10)},
	)
	return kafka.Message{Key: r.Msg.Key, Value: r.Msg.Value, Headers: hs, Time: r.Msg.Time}
}

// Send writes rs and returns once all are acked. Errors are classified by
// ClassifyKafkaError: transient ones are wrapped with ErrTransient (the
// batch is retried by the source); permanent ones (authorization, a
// record too large, …) and context errors are returned as they are.
func (d *DeadLetter) Send(ctx context.Context, rs []Rejected) error {
	if len(rs) == 0 {
		return nil
	}
	msgs := make([]kafka.Message, len(rs))
	for i := range rs {
		if rs[i].Reason == "" {
			return fmt.Errorf("ingest: dead letter %d (offset %d) has no reason", i, rs[i].Msg.Offset)
		}
		msgs[i] = rs[i].Message()
	}
	if err := d.w.WriteMessages(ctx, msgs...); err != nil {
		return WrapKafkaError(fmt.Errorf("ingest: dead-letter %d messages to %s: %w", len(rs), d.w.Topic, err))
	}
	return nil
}

// Close flushes and closes the writer.
func (d *DeadLetter) Close() error { return d.w.Close() }

// errorLogger adapts slog to kafka-go's logger interface at error level.
func errorLogger(log *slog.Logger, component string) kafka.Logger {
	return kafka.LoggerFunc(func(msg string, args ...any) {
		log.Error(fmt.Sprintf(msg, args...), "component", component)
	})
}

// debugLogger adapts slog to kafka-go's logger interface at debug level.
func debugLogger(log *slog.Logger, component string) kafka.Logger {
	return kafka.LoggerFunc(func(msg string, args ...any) {
		if log.Enabled(context.Background(), slog.LevelDebug) {
			log.Debug(fmt.Sprintf(msg, args...), "component", component)
		}
	})
}
