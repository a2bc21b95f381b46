package sink

import (
	"github.com/segmentio/kafka-go/compress"
	"github.com/segmentio/kafka-go/compress/snappy"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/streamcast/streamcast/ingest"
)

// KafkaSinkConfig configures KafkaSink. Zero values mean the documented defaults.
type KafkaSinkConfig struct {
	// Brokers are the bootstrap addresses (required).
	Brokers []string
	// Topic is the output topic (required).
	Topic string
	// Transport carries TLS/SASL settings; nil means a fresh kafka.Transport
	// owned by this sink (never the process-wide default, so a broker that
	// restarts on the same address does not leave stale pooled connections).
	Transport *kafka.Transport
	// BatchSize is the maximum number of messages per produce request and
	// partition (default 256). kafka-go allocates room for BatchSize
	// messages (~160 B each) whenever it opens a batch, so at moderate rates,
	// where each Publish opens a small batch per partition, a large value
	// is mostly garbage: 1000 doubled the collector's work at 5,000 events/s
	// without raising the maximum throughput.
	BatchSize int
	// BatchBytes bounds a produce request (default 1 MiB).
	BatchBytes int64
	// BatchTimeout is how long a partial batch waits for more messages
	// (default 2ms).
	BatchTimeout time.Duration
	// WriteTimeout bounds one produce request (default 10s).
	WriteTimeout time.Duration
	// MaxAttempts is how often kafka-go retries a failed produce request
	// before Publish returns an error (default 3).
	MaxAttempts int
	// Compression of produced batches (default snappy: forecast JSON is
	// repetitive, and on loopback snappy nearly triples throughput because
	// fewer bytes are copied and checksummed). Snappy uses the fast encoder
	// level, see init.
	Compression kafka.Compression
	// DisableCompression sends batches uncompressed (overrides Compression).
	DisableCompression bool
	// AllowAutoTopicCreation lets the writer create the topic (default false).
	AllowAutoTopicCreation bool
	// Logger receives the writer's error log (default: discard).
	Logger *slog.Logger
}

// Validate reports missing or negative settings.
func (c *KafkaSinkConfig) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("sink: KafkaSinkConfig.Brokers is empty")
	}
	if c.Topic == "" {
		return errors.New("sink: KafkaSinkConfig.Topic is empty")
	}
	if c.BatchSize < 0 || c.BatchBytes < 0 || c.BatchTimeout < 0 || c.WriteTimeout < 0 || c.MaxAttempts < 0 {
		return errors.New("sink: KafkaSinkConfig sizes and timeouts must be >= 0")
	}
	return nil
}

func (c *KafkaSinkConfig) withDefaults() KafkaSinkConfig {
	d := *c
	if d.BatchSize == 0 {
		d.BatchSize = 256
	}
	if d.BatchBytes == 0 {
		d.BatchBytes = 1 << 20
	}
	if d.BatchTimeout == 0 {
		d.BatchTimeout = 2 * time.Millisecond
	}
	if d.WriteTimeout == 0 {
		d.WriteTimeout = 10 * time.Second
	}
	if d.MaxAttempts == 0 {
		d.MaxAttempts = 3
	}
	if d.DisableCompression {
		d.Compression = 0
	} else if d.Compression == 0 {
		d.Compression = kafka.Snappy
	}
	if d.Transport == nil {
		d.Transport = &kafka.Transport{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return d
}

// init makes kafka-go's snappy codec use s2's fast Snappy-compatible
// encoder instead of its default "better" one. kafka-go picks codecs from a
// process-wide table (compress.Codecs) and offers no per-Writer choice; the
// output is ordinary Snappy, readable by every Kafka client, and on forecast
// JSON it encodes about 2.2x faster for a 4% larger output (measured on
// 200 forecasts of 24 steps: 907 vs 410 MB/s, ratio 4.34 vs 4.52), which
// was 18% of the pipeline's CPU at full speed. Doing it in init keeps the
// write ahead of every goroutine that reads the table.
func init() {
	compress.Codecs[compress.Snappy] = &snappy.Codec{Compression: snappy.FasterCompression}
}

// KafkaSink writes forecasts to a topic: key = series (hash-partitioned, so
// one series always lands on one partition), value = Forecast JSON, acks
// from all in-sync replicas. It is safe for concurrent use.
type KafkaSink struct {
	w    *kafka.Writer
	pool sync.Pool // *encodeBuf
}

type encodeBuf struct {
	data []byte
	msgs []kafka.Message
}

// NewKafkaSink builds a sink. Close it to flush and release connections.
func NewKafkaSink(cfg KafkaSinkConfig) (*KafkaSink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	log := c.Logger
	w := &kafka.Writer{
		Addr:                   kafka.TCP(c.Brokers...),
		Topic:                  c.Topic,
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		BatchSize:              c.BatchSize,
		BatchBytes:             c.BatchBytes,
		BatchTimeout:           c.BatchTimeout,
		WriteTimeout:           c.WriteTimeout,
		MaxAttempts:            c.MaxAttempts,
		WriteBackoffMin:        10 * time.Millisecond,
		WriteBackoffMax:        500 * time.Millisecond,
		Compression:            c.Compression,
		Transport:              c.Transport,
		AllowAutoTopicCreation: c.AllowAutoTopicCreation,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			log.Error(fmt.Sprintf(msg, args...), "component", "sink.kafka", "topic", c.Topic)
		}),
	}
	return &KafkaSink{w: w}, nil
}

// Publish encodes (or takes Forecast.JSON when set) and writes fs and returns when all messages are acked.
// Invalid forecasts fail the whole call before anything is written.
// Broker errors are classified by ingest.ClassifyKafkaError (the taxonomy
// the dead-letter writer shares): wrapped with ingest.ErrTransient unless
// they can never succeed on retry (message too large, authorization,
// invalid topic, …) or the context ended.
func (s *KafkaSink) Publish(ctx context.Context, fs []Forecast) error {
	if len(fs) == 0 {
		return nil
	}
	for i := range fs {
		if err := fs[i].Validate(); err != nil {
			return err
		}
	}
	eb, _ := s.pool.Get().(*encodeBuf)
	if eb == nil {
		eb = &encodeBuf{}
	}
	defer func() {
		clear(eb.msgs) // drop references to the caller's strings
		s.pool.Put(eb)
	}()
	// Keys (and values without a pre-encoded Forecast.JSON) go into one
	// arena first, then it is sliced, so the arena can grow without
	// invalidating earlier messages. Pre-encoded values are sent as they
	// are, without a copy. Partition and Offset temporarily hold the key's
	// end and the value's end (-1: use Forecast.JSON).
	data := eb.data[:0]
	ends := eb.msgs[:0]
	for i := range fs {
		data = append(data, fs[i].Series...)
		keyEnd, end := len(data), int64(-1)
		if fs[i].JSON == nil {
			data = fs[i].AppendJSON(data)
			end = int64(len(data))
		}
		ends = append(ends, kafka.Message{Partition: keyEnd, Offset: end})
	}
	start := 0
	for i := range ends {
		keyEnd, end := ends[i].Partition, int(ends[i].Offset)
		m := kafka.Message{Key: data[start:keyEnd:keyEnd]}
		if end < 0 {
			m.Value, start = fs[i].JSON, keyEnd
		} else {
			m.Value, start = data[keyEnd:end:end], end
		}
		ends[i] = m
	}
	eb.data, eb.msgs = data, ends
	if err := s.w.WriteMessages(ctx, ends...); err != nil {
		return ingest.WrapKafkaError(fmt.Errorf("sink: publish %d forecasts to %s: %w", len(fs), s.w.Topic, err))
	}
	return nil
}

// Stats exposes the underlying writer's counters.
func (s *KafkaSink) Stats() kafka.WriterStats { return s.w.Stats() }

// Close flushes pending writes and closes connections.
func (s *KafkaSink) Close() error { return s.w.Close() }
