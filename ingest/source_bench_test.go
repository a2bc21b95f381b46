package ingest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/streamcast/streamcast/features"
)

// BenchmarkKafkaSourceConsume measures end-to-end consumption from kfake:
// group join, fetch, batching, JSON decoding in the handler and a commit per
// batch, for 60k messages on 6 partitions per iteration (a fresh group each
// time). Reports messages/s.
func BenchmarkKafkaSourceConsume(b *testing.B) {
	const n = 60000
	brokers := newKafka(b, testPartitions, "obs")
	for i := 0; i < n; i += 10000 {
		produce(b, brokers, "obs", makeMessagesB(10000, 1000, i))
	}
	codec := &JSONCodec{}
	iter := 0
	var total time.Duration
	for b.Loop() {
		iter++
		var got atomic.Int64
		h := BatchHandlerFunc(func(ctx context.Context, bt *Batch) error {
			var ob features.Observation
			for i := range bt.Messages {
				if err := DecodeMessage(codec, &bt.Messages[i], &ob); err != nil {
					return err
				}
			}
			got.Add(int64(len(bt.Messages)))
			return nil
		})
		cfg := SourceConfig{Brokers: brokers, Topic: "obs", GroupID: fmt.Sprintf("bench-%d", iter),
			SessionTimeout: time.Second, HeartbeatInterval: 200 * time.Millisecond, MaxBatch: 1000, MaxWait: 5 * time.Millisecond}
		src, err := NewKafkaSource(cfg, h, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- src.Run(ctx) }()
		for got.Load() < n {
			time.Sleep(time.Millisecond)
		}
		total += time.Since(start)
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(iter*n)/total.Seconds(), "msgs/s")
}

func makeMessagesB(n, series, from int) []kafka.Message {
	return makeMessages(n, series, from)
}
