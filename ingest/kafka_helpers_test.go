package ingest

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// newKafka starts an in-process kfake cluster with short group timeouts so
// rebalances finish well under a second.
func newKafka(tb testing.TB, partitions int, topics ...string) []string {
	tb.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(partitions), topics...),
		kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c.ListenAddrs()
}

func testLogger(tb testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.DiscardHandler)
}

// produce writes msgs synchronously (acks=all).
func produce(tb testing.TB, brokers []string, topic string, msgs []kafka.Message) {
	tb.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, Balancer: &kafka.Hash{},
		RequiredAcks: kafka.RequireAll, BatchSize: 1000, BatchTimeout: 2 * time.Millisecond, Transport: &kafka.Transport{}}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		tb.Fatal(err)
	}
}

// readPartition reads partition p of topic from offset 0 up to its high watermark.
func readPartition(tb testing.TB, brokers []string, topic string, p int) []kafka.Message {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	high := highWatermarks(tb, brokers, topic, p+1)[p]
	if high == 0 {
		return nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p, MaxWait: 50 * time.Millisecond,
		ErrorLogger: kafka.LoggerFunc(func(m string, a ...any) { tb.Logf("reader: "+m, a...) })})
	defer r.Close()
	var out []kafka.Message
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			tb.Fatalf("partition %d: %v", p, err)
		}
		out = append(out, m)
		if m.Offset+1 >= high {
			return out
		}
	}
}

// highWatermarks returns the end offsets of partitions 0..n-1.
func highWatermarks(tb testing.TB, brokers []string, topic string, n int) []int64 {
	tb.Helper()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: &kafka.Transport{}}
	reqs := make([]kafka.OffsetRequest, n)
	for p := range reqs {
		reqs[p] = kafka.LastOffsetOf(p)
	}
	res, err := client.ListOffsets(context.Background(), &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]int64, n)
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			tb.Fatal(po.Error)
		}
		out[po.Partition] = po.LastOffset
	}
	return out
}

// committed returns the group's committed offsets for partitions 0..n-1 (-1 = none).
func committed(tb testing.TB, brokers []string, group, topic string, n int) []int64 {
	tb.Helper()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: &kafka.Transport{}}
	parts := make([]int, n)
	for i := range parts {
		parts[i] = i
	}
	res, err := client.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = -1
	}
	for _, po := range res.Topics[topic] {
		out[po.Partition] = po.CommittedOffset
	}
	return out
}
