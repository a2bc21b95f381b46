package ingest

import (
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// SourceConfig configures KafkaSource. Zero values mean the documented defaults.
type SourceConfig struct {
	// Brokers are the bootstrap addresses (required).
	Brokers []string
	// Topic is the input topic (required).
	Topic string
	// GroupID is the consumer group (required).
	GroupID string
	// Dialer carries TLS/SASL settings (default: kafka-go's default dialer).
	Dialer *kafka.Dialer

	// MaxBatch is the largest batch handed to the handler (default 1000).
	MaxBatch int
	// MaxWait is how long a batch may wait for more messages after its
	// first one arrived (default 20ms).
	MaxWait time.Duration
	// FetchMaxBytes bounds one fetch response per partition (default 4 MiB).
	FetchMaxBytes int

	// SessionTimeout, HeartbeatInterval, RebalanceTimeout and
	// JoinGroupBackoff tune group membership (defaults 10s, 3s, 10s, 1s).
	// Brokers enforce group.min.session.timeout.ms (6s on Kafka and kfake by
	// default): a shorter SessionTimeout never joins.
	SessionTimeout    time.Duration
	HeartbeatInterval time.Duration
	RebalanceTimeout  time.Duration
	JoinGroupBackoff  time.Duration
	// StartOffset applies when the group has no committed offset for a
	// partition: kafka.FirstOffset (default) or kafka.LastOffset.
	StartOffset int64

	// RetryMin and RetryMax bound the exponential backoff between attempts
	// of a batch whose handler returned a transient error (defaults 100ms, 10s).
	RetryMin, RetryMax time.Duration
	// CommitInterval is the minimum time between two offset commits of a
	// partition (default 100ms). Offsets are only ever committed after
	// their batch was handled, so a longer interval never loses data; it
	// only lengthens the stretch that is handled again (as duplicates)
	// after a crash, and it saves a coordinator round trip per batch when
	// batches are small and frequent.
	CommitInterval time.Duration
	// DrainTimeout is how long in-flight handler calls may continue after
	// Run's context is cancelled before their context is cancelled too
	// (default 30s).
	DrainTimeout time.Duration
}

// Validate reports missing or inconsistent settings.
func (c *SourceConfig) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("Brokers is empty"))
	}
	if c.Topic == "" {
		errs = append(errs, errors.New("Topic is empty"))
	}
	if c.GroupID == "" {
		errs = append(errs, errors.New("GroupID is empty"))
	}
	if c.MaxBatch < 0 || c.FetchMaxBytes < 0 {
		errs = append(errs, errors.New("MaxBatch and FetchMaxBytes must be >= 0"))
	}
	for name, d := range map[string]time.Duration{"MaxWait": c.MaxWait, "SessionTimeout": c.SessionTimeout,
		"HeartbeatInterval": c.HeartbeatInterval, "RebalanceTimeout": c.RebalanceTimeout, "JoinGroupBackoff": c.JoinGroupBackoff,
		"RetryMin": c.RetryMin, "RetryMax": c.RetryMax, "DrainTimeout": c.DrainTimeout, "CommitInterval": c.CommitInterval} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s must be >= 0", name))
		}
	}
	if c.StartOffset != 0 && c.StartOffset != kafka.FirstOffset && c.StartOffset != kafka.LastOffset {
		errs = append(errs, fmt.Errorf("StartOffset %d must be kafka.FirstOffset or kafka.LastOffset", c.StartOffset))
	}
	d := c.withDefaults()
	if d.HeartbeatInterval >= d.SessionTimeout {
		errs = append(errs, fmt.Errorf("HeartbeatInterval %v must be below SessionTimeout %v", d.HeartbeatInterval, d.SessionTimeout))
	}
	if d.RetryMin > d.RetryMax {
		errs = append(errs, fmt.Errorf("RetryMin %v exceeds RetryMax %v", d.RetryMin, d.RetryMax))
	}
	if len(errs) > 0 {
		return fmt.Errorf("ingest: invalid SourceConfig: %w", errors.Join(errs...))
	}
	return nil
}

func (c *SourceConfig) withDefaults() SourceConfig {
	d := *c
	set := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	if d.MaxBatch == 0 {
		d.MaxBatch = 1000
	}
	if d.FetchMaxBytes == 0 {
		d.FetchMaxBytes = 4 << 20
	}
	set(&d.MaxWait, 20*time.Millisecond)
	set(&d.SessionTimeout, 10*time.Second)
	set(&d.HeartbeatInterval, 3*time.Second)
	set(&d.RebalanceTimeout, 10*time.Second)
	set(&d.JoinGroupBackoff, time.Second)
	set(&d.RetryMin, 100*time.Millisecond)
	set(&d.RetryMax, 10*time.Second)
	set(&d.DrainTimeout, 30*time.Second)
	set(&d.CommitInterval, 100*time.Millisecond)
	if d.StartOffset == 0 {
		d.StartOffset = kafka.FirstOffset
	}
	return d
}
