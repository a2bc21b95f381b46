package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/streamcast/streamcast/ingest"
)

// readAll reads every message of topic's partitions up to their high
// watermark, in partition then offset order.
func readAll(t *testing.T, brokers []string, topic string) []kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: &kafka.Transport{}}
	var out []kafka.Message
	for p := 0; p < 6; p++ {
		offs, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
			topic: {kafka.LastOffsetOf(p)}}})
		if err != nil {
			t.Fatal(err)
		}
		high := offs.Topics[topic][0].LastOffset
		if high == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p, MaxWait: 50 * time.Millisecond,
			ErrorLogger: kafka.LoggerFunc(func(m string, a ...any) { t.Logf("reader: "+m, a...) })})
		for {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				t.Fatalf("partition %d: %v", p, err)
			}
			out = append(out, m)
			if m.Offset+1 >= high {
				break
			}
		}
		r.Close()
	}
	return out
}

func TestKafkaSinkPublish(t *testing.T) {
	brokers := newKafka(t, "forecasts")
	s, err := NewKafkaSink(KafkaSinkConfig{Brokers: brokers, Topic: "forecasts"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const nSeries, nOrigins = 40, 25
	ctx := context.Background()
	var sent []Forecast
	for o := 0; o < nOrigins; o++ {
		batch := make([]Forecast, 0, nSeries)
		for i := 0; i < nSeries; i++ {
			batch = append(batch, makeForecast(fmt.Sprintf("meter-%d", i), t0.Add(time.Duration(o)*time.Hour), 24, float64(i*o)))
		}
		var arena []byte
		if o%2 == 1 {
			// Odd origins go pre-encoded: the sink must send Forecast.JSON.
			arena = Encode(arena, batch)
		}
		if err := s.Publish(ctx, batch); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, batch...)
	}
	msgs := readAll(t, brokers, "forecasts")
	if len(msgs) != len(sent) {
		t.Fatalf("read %d messages, published %d", len(msgs), len(sent))
	}
	byID := map[string]Forecast{}
	for _, f := range sent {
		byID[f.ID] = f
	}
	partOf := map[string]int{}
	lastOrigin := map[string]time.Time{}
	for _, m := range msgs {
		var f Forecast
		if err := json.Unmarshal(m.Value, &f); err != nil {
			t.Fatalf("bad JSON %q: %v", m.Value, err)
		}
		if string(m.Key) != f.Series {
			t.Fatalf("key %q for series %q", m.Key, f.Series)
		}
		want, ok := byID[f.ID]
		if !ok || len(f.Horizon) != 24 || !reflect.DeepEqual(f.Horizon[23], want.Horizon[23]) {
			t.Fatalf("unexpected forecast %s", m.Value)
		}
		if wantJSON := want.AppendJSON(nil); !bytes.Equal(m.Value, wantJSON) {
			t.Fatalf("value %s, want %s", m.Value, wantJSON)
		}
		delete(byID, f.ID)
		if p, seen := partOf[f.Series]; seen && p != m.Partition {
			t.Fatalf("series %s on partitions %d and %d", f.Series, p, m.Partition)
		}
		partOf[f.Series] = m.Partition
		if !f.OriginTS.After(lastOrigin[f.Series]) {
			t.Fatalf("series %s out of order: %v after %v", f.Series, f.OriginTS, lastOrigin[f.Series])
		}
		lastOrigin[f.Series] = f.OriginTS
	}
	if len(byID) != 0 {
		t.Fatalf("%d forecasts missing", len(byID))
	}
	used := map[int]bool{}
	for _, p := range partOf {
		used[p] = true
	}
	if len(used) < 3 {
		t.Fatalf("hash balancer used only %d partitions", len(used))
	}
}

func TestKafkaSinkErrors(t *testing.T) {
	if _, err := NewKafkaSink(KafkaSinkConfig{Topic: "x"}); err == nil {
		t.Fatal("missing brokers accepted")
	}
	if _, err := NewKafkaSink(KafkaSinkConfig{Brokers: []string{"a:1"}}); err == nil {
		t.Fatal("missing topic accepted")
	}
	if _, err := NewKafkaSink(KafkaSinkConfig{Brokers: []string{"a:1"}, Topic: "x", BatchSize: -1}); err == nil {
		t.Fatal("negative batch size accepted")
	}
	brokers := newKafka(t, "forecasts")
	s, err := NewKafkaSink(KafkaSinkConfig{Brokers: brokers, Topic: "forecasts"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bad := makeForecast("s", t0, 2, 1)
	bad.Horizon = nil
	if err := s.Publish(context.Background(), []Forecast{makeForecast("s", t0, 2, 1), bad}); !errors.Is(err, ErrInvalidForecast) {
		t.Fatalf("invalid forecast: err = %v", err)
	}
	if err := s.Publish(context.Background(), nil); err != nil {
		t.Fatalf("empty publish: %v", err)
	}
	// A topic that does not exist: the broker keeps answering
	// UnknownTopicOrPartition, which is retryable.
	s2, err := NewKafkaSink(KafkaSinkConfig{Brokers: brokers, Topic: "missing", MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = s2.Publish(ctx, []Forecast{makeForecast("s", t0, 2, 1)})
	if err == nil {
		t.Fatal("publish to a missing topic succeeded")
	}
	if !ingest.IsTransient(err) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("missing topic error not transient: %v", err)
	}
}

// BenchmarkKafkaSinkPublish measures forecasts/s into kfake with batches of
// 1000 48-step forecasts (the pipeline's shape).
func BenchmarkKafkaSinkPublish(b *testing.B) {
	brokers := newKafka(b, "forecasts")
	s, err := NewKafkaSink(KafkaSinkConfig{Brokers: brokers, Topic: "forecasts"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batch := make([]Forecast, 1000)
	for i := range batch {
		batch[i] = makeForecast(fmt.Sprintf("meter-%d", i), t0, 48, float64(i))
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Publish(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "forecasts/s")
}

// TestKafkaSinkConcurrentPublish: Publish is safe for concurrent use (the
// pooled encode buffers must never be shared between calls).
func TestKafkaSinkConcurrentPublish(t *testing.T) {
	brokers := newKafka(t, "forecasts")
	s, err := NewKafkaSink(KafkaSinkConfig{Brokers: brokers, Topic: "forecasts"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const workers, perWorker = 4, 50
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			var err error
			for i := 0; i < perWorker && err == nil; i++ {
				err = s.Publish(context.Background(), []Forecast{
					makeForecast(fmt.Sprintf("w%d-s%d", w, i), t0, 3, float64(w*1000+i)),
					makeForecast(fmt.Sprintf("w%d-s%d", w, i), t0.Add(time.Hour), 3, float64(w*1000+i)),
				})
			}
			errs <- err
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	msgs := readAll(t, brokers, "forecasts")
	if len(msgs) != workers*perWorker*2 {
		t.Fatalf("read %d, want %d", len(msgs), workers*perWorker*2)
	}
	for _, m := range msgs {
		var f Forecast
		if err := json.Unmarshal(m.Value, &f); err != nil || f.Series != string(m.Key) ||
			f.ID != ForecastID(f.Series, f.OriginTS, f.Model, f.ModelVersion) {
			t.Fatalf("corrupt message key %q value %s: %v", m.Key, m.Value, err)
		}
	}
}
