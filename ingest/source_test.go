package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
)

const testPartitions = 6

// fastGroup returns a SourceConfig with short group timeouts (kfake runs
// with GroupMinSessionTimeout 100ms).
func fastGroup(brokers []string, topic, group string) SourceConfig {
	return SourceConfig{
		Brokers: brokers, Topic: topic, GroupID: group,
		MaxBatch: 50, MaxWait: 5 * time.Millisecond,
		SessionTimeout: 1500 * time.Millisecond, HeartbeatInterval: 100 * time.Millisecond,
		RebalanceTimeout: 2 * time.Second, JoinGroupBackoff: 100 * time.Millisecond,
		RetryMin: 5 * time.Millisecond, RetryMax: 40 * time.Millisecond,
	}
}

// recorder is a BatchHandler that records every handled message and checks
// that each partition's batches arrive in offset order without gaps (a
// re-delivery after a rebalance may restart at the committed offset).
type recorder struct {
	t        *testing.T
	name     string
	mu       *sync.Mutex      // shared by recorders of one group
	seen     map[[2]int64]int // (partition, offset) → times handled by this member
	next     map[int]int64    // per partition: 1 + highest offset handled by any member of the group
	batches  int
	failures map[int]int // partition → remaining transient failures
	delay    time.Duration
	fatalAt  map[int]int64 // partition → offset that causes a fatal error
	attempts map[[2]int64]int
}

func newRecorder(t *testing.T, name string) *recorder {
	return &recorder{t: t, name: name, mu: new(sync.Mutex), seen: map[[2]int64]int{}, next: map[int]int64{},
		failures: map[int]int{}, fatalAt: map[int]int64{}, attempts: map[[2]int64]int{}}
}

// peer returns a recorder for another member of the same group: it shares
// the lock and the per-partition progress used to detect gaps.
func (r *recorder) peer(name string) *recorder {
	p := newRecorder(r.t, name)
	p.mu, p.next = r.mu, r.next
	return p
}

var errFatal = errors.New("fatal test error")

func (r *recorder) HandleBatch(ctx context.Context, b *Batch) error {
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	first := b.Messages[0].Offset
	r.attempts[[2]int64{int64(b.Partition), first}]++
	if n := r.failures[b.Partition]; n > 0 {
		r.failures[b.Partition] = n - 1
		return Transient(fmt.Errorf("flaky store (%d left)", n-1))
	}
	for i, m := range b.Messages {
		if m.Partition != b.Partition || m.Topic != b.Topic {
			r.t.Errorf("%s: message of %s/%d in batch of %s/%d", r.name, m.Topic, m.Partition, b.Topic, b.Partition)
		}
		if i > 0 && m.Offset != b.Messages[i-1].Offset+1 {
			r.t.Errorf("%s: partition %d: offset %d follows %d", r.name, b.Partition, m.Offset, b.Messages[i-1].Offset)
		}
		if off, ok := r.fatalAt[b.Partition]; ok && m.Offset >= off {
			return fmt.Errorf("poisoned store at offset %d: %w", m.Offset, errFatal)
		}
	}
	if exp, ok := r.next[b.Partition]; ok && first > exp {
		r.t.Errorf("%s: partition %d: gap, batch starts at %d, expected <= %d", r.name, b.Partition, first, exp)
	}
	for _, m := range b.Messages {
		r.seen[[2]int64{int64(m.Partition), m.Offset}]++
	}
	r.next[b.Partition] = max(r.next[b.Partition], b.Messages[len(b.Messages)-1].Offset+1)
	r.batches++
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

func (r *recorder) has(p int, off int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[[2]int64{int64(p), off}] > 0
}

func makeMessages(n, series int, from int) []kafka.Message {
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		k := fmt.Sprintf("meter-%d", (from+i)%series)
		msgs[i] = kafka.Message{Key: []byte(k), Value: []byte(fmt.Sprintf(`{"series":%q,"ts":%d,"value":%d}`, k, 1795669200000+int64(from+i)*1000, from+i))}
	}
	return msgs
}

// startSource runs a source in the background. stop cancels it and returns
// Run's result; done is closed when Run returns (stop then returns at once).
func startSource(t *testing.T, cfg SourceConfig, h BatchHandler, reg prometheus.Registerer) (*KafkaSource, func() error, <-chan struct{}) {
	t.Helper()
	src, err := NewKafkaSource(cfg, h, testLogger(t), reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var res error
	go func() {
		res = src.Run(ctx)
		close(done)
	}()
	stop := func() error {
		cancel()
		select {
		case <-done:
			return res
		case <-time.After(20 * time.Second):
			return errors.New("Run did not return within 20s of cancel")
		}
	}
	t.Cleanup(func() { _ = stop() })
	return src, stop, done
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func sum(xs []int64) (s int64) {
	for _, x := range xs {
		s += x
	}
	return s
}

// TestKafkaSourceConsumeCommitResume: one member consumes everything in
// partition order and commits to the high watermark; a new member of the
// same group resumes exactly there.
func TestKafkaSourceConsumeCommitResume(t *testing.T) {
	brokers := newKafka(t, testPartitions, "obs")
	produce(t, brokers, "obs", makeMessages(600, 37, 0))
	hw := highWatermarks(t, brokers, "obs", testPartitions)

	reg := prometheus.NewRegistry()
	rec := newRecorder(t, "A")
	src, stop, _ := startSource(t, fastGroup(brokers, "obs", "g1"), rec, reg)
	waitFor(t, "600 messages", 20*time.Second, func() bool { return rec.count() == 600 })
	if !src.Ready() || len(src.Assigned()) != testPartitions {
		t.Fatalf("ready=%v assigned=%v", src.Ready(), src.Assigned())
	}
	waitFor(t, "commits at the high watermark", 10*time.Second, func() bool {
		return slices.Equal(committed(t, brokers, "g1", "obs", testPartitions), hw)
	})
	if got := testutil.ToFloat64(src.m.messages); got != 600 {
		t.Errorf("messages_total = %v, want 600", got)
	}
	if got := testutil.ToFloat64(src.m.lag.WithLabelValues("0")); got != 0 {
		t.Errorf("lag of partition 0 = %v, want 0", got)
	}
	if n, err := testutil.GatherAndCount(reg, "streamcast_ingest_consumer_lag_messages"); err != nil || n != testPartitions {
		t.Errorf("lag series = %d (%v), want %d", n, err, testPartitions)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metric lint: %v %v", problems, err)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if src.Ready() {
		t.Fatal("still ready after Run returned")
	}

	// More data; a new member of the same group must start at the commit.
	produce(t, brokers, "obs", makeMessages(120, 37, 600))
	rec2 := newRecorder(t, "B")
	_, stop2, _ := startSource(t, fastGroup(brokers, "obs", "g1"), rec2, prometheus.NewRegistry())
	waitFor(t, "120 new messages", 20*time.Second, func() bool { return rec2.count() == 120 })
	time.Sleep(100 * time.Millisecond) // would catch re-deliveries of old offsets
	if got := rec2.count(); got != 120 {
		t.Fatalf("second member handled %d messages, want exactly the 120 new ones", got)
	}
	for p := 0; p < testPartitions; p++ {
		if hw[p] > 0 && rec2.has(p, hw[p]-1) {
			t.Fatalf("partition %d: committed message %d re-delivered", p, hw[p]-1)
		}
	}
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	if got, want := sum(committed(t, brokers, "g1", "obs", testPartitions)), int64(720); got != want {
		t.Fatalf("committed sum %d, want %d", got, want)
	}
}

// TestKafkaSourceRebalance: two members split the partitions; when one
// leaves, the other takes over; nothing is lost and commits end at the
// high watermark.
func TestKafkaSourceRebalance(t *testing.T) {
	brokers := newKafka(t, testPartitions, "obs")
	produce(t, brokers, "obs", makeMessages(300, 50, 0))
	// Keep producing while members join and leave.
	prodCtx, stopProd := context.WithCancel(context.Background())
	prodDone := make(chan struct{})
	go func() {
		defer close(prodDone)
		for i := 300; prodCtx.Err() == nil; i += 30 {
			produce(t, brokers, "obs", makeMessages(30, 50, i))
			time.Sleep(20 * time.Millisecond)
		}
	}()
	defer func() { stopProd(); <-prodDone }()

	recA := newRecorder(t, "A")
	recB := recA.peer("B")
	recA.delay, recB.delay = 2*time.Millisecond, 2*time.Millisecond
	cfg := fastGroup(brokers, "obs", "g2")
	cfg.MaxBatch = 10
	srcA, stopA, _ := startSource(t, cfg, recA, prometheus.NewRegistry())
	waitFor(t, "A ready", 10*time.Second, srcA.Ready)
	srcB, stopB, _ := startSource(t, cfg, recB, prometheus.NewRegistry())
	waitFor(t, "partitions split between A and B", 15*time.Second, func() bool {
		a, b := srcA.Assigned(), srcB.Assigned()
		if len(a) == 0 || len(b) == 0 || len(a)+len(b) != testPartitions {
			return false
		}
		for _, p := range a {
			if slices.Contains(b, p) {
				return false
			}
		}
		return true
	})
	waitFor(t, "B handling messages", 15*time.Second, func() bool { return recB.count() > 20 })
	if err := stopB(); err != nil {
		t.Fatalf("B: %v", err)
	}
	waitFor(t, "A owns all partitions", 15*time.Second, func() bool { return len(srcA.Assigned()) == testPartitions })
	time.Sleep(200 * time.Millisecond)
	stopProd()
	<-prodDone
	hw := highWatermarks(t, brokers, "obs", testPartitions)
	waitFor(t, "every message handled at least once", 30*time.Second, func() bool {
		for p := 0; p < testPartitions; p++ {
			for off := int64(0); off < hw[p]; off++ {
				if !recA.has(p, off) && !recB.has(p, off) {
					return false
				}
			}
		}
		return true
	})
	waitFor(t, "commits at the high watermark", 10*time.Second, func() bool {
		return slices.Equal(committed(t, brokers, "g2", "obs", testPartitions), hw)
	})
	if err := stopA(); err != nil {
		t.Fatalf("A: %v", err)
	}
	t.Logf("A handled %d, B handled %d distinct messages of %d", recA.count(), recB.count(), sum(hw))
}

// TestKafkaSourceTransientRetry: a transiently failing batch is retried
// (same first offset) with nothing committed until it succeeds.
func TestKafkaSourceTransientRetry(t *testing.T) {
	brokers := newKafka(t, 1, "obs")
	produce(t, brokers, "obs", makeMessages(40, 5, 0))
	rec := newRecorder(t, "A")
	rec.failures[0] = 4
	var commitsDuringFailures []int64
	h := BatchHandlerFunc(func(ctx context.Context, b *Batch) error {
		rec.mu.Lock()
		failing := rec.failures[0] > 0
		rec.mu.Unlock()
		if failing {
			commitsDuringFailures = append(commitsDuringFailures, committed(t, brokers, "g3", "obs", 1)[0])
		}
		return rec.HandleBatch(ctx, b)
	})
	src, stop, _ := startSource(t, fastGroup(brokers, "obs", "g3"), h, nil)
	waitFor(t, "40 messages", 20*time.Second, func() bool { return rec.count() == 40 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := rec.attempts[[2]int64{0, 0}]; got != 5 {
		t.Fatalf("first batch attempted %d times, want 5 (4 transient failures)", got)
	}
	if !slices.Equal(commitsDuringFailures, []int64{-1, -1, -1, -1}) {
		t.Fatalf("committed offsets seen during failures: %v, want none committed", commitsDuringFailures)
	}
	if got := testutil.ToFloat64(src.m.retries); got != 4 {
		t.Fatalf("retries_total = %v, want 4", got)
	}
	if got := committed(t, brokers, "g3", "obs", 1)[0]; got != 40 {
		t.Fatalf("committed %d, want 40", got)
	}
}

// TestKafkaSourceFatal: a fatal handler error ends Run with that error and
// the failing batch is not committed.
func TestKafkaSourceFatal(t *testing.T) {
	brokers := newKafka(t, 1, "obs")
	produce(t, brokers, "obs", makeMessages(100, 5, 0))
	rec := newRecorder(t, "A")
	rec.fatalAt[0] = 57
	cfg := fastGroup(brokers, "obs", "g4")
	cfg.MaxBatch = 10
	_, stop, done := startSource(t, cfg, rec, nil)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not stop on a fatal handler error")
	}
	err := stop()
	if !errors.Is(err, errFatal) {
		t.Fatalf("Run returned %v, want the handler's fatal error", err)
	}
	c := committed(t, brokers, "g4", "obs", 1)[0]
	if c > 57 || c < 0 {
		t.Fatalf("committed %d: the failing message 57 (or later) was committed, or nothing at all", c)
	}
	if rec.has(0, 57) {
		t.Fatal("recorder marked the poisoned offset handled")
	}
}

// TestKafkaSourceDrainOnCancel: cancelling Run while a batch is in the
// handler lets it finish and commits it.
func TestKafkaSourceDrainOnCancel(t *testing.T) {
	brokers := newKafka(t, 1, "obs")
	produce(t, brokers, "obs", makeMessages(10, 5, 0))
	entered := make(chan struct{})
	release := make(chan struct{})
	var handled int
	h := BatchHandlerFunc(func(ctx context.Context, b *Batch) error {
		close(entered)
		<-release
		if ctx.Err() != nil {
			return ctx.Err()
		}
		handled = len(b.Messages)
		return nil
	})
	cfg := fastGroup(brokers, "obs", "g5")
	cfg.MaxWait = 100 * time.Millisecond
	_, stop, _ := startSource(t, cfg, h, nil)
	<-entered
	res := make(chan error, 1)
	go func() { res <- stop() }()
	time.Sleep(50 * time.Millisecond) // Run is now cancelled while the handler still works
	close(release)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if got := committed(t, brokers, "g5", "obs", 1)[0]; got != int64(handled) || handled == 0 {
		t.Fatalf("committed %d after draining a batch of %d", got, handled)
	}
}

func TestSourceConfigValidate(t *testing.T) {
	ok := SourceConfig{Brokers: []string{"b:9092"}, Topic: "t", GroupID: "g"}
	tests := []struct {
		name   string
		mutate func(*SourceConfig)
		bad    bool
	}{
		{"defaults", func(*SourceConfig) {}, false},
		{"no brokers", func(c *SourceConfig) { c.Brokers = nil }, true},
		{"no topic", func(c *SourceConfig) { c.Topic = "" }, true},
		{"no group", func(c *SourceConfig) { c.GroupID = "" }, true},
		{"negative batch", func(c *SourceConfig) { c.MaxBatch = -1 }, true},
		{"negative wait", func(c *SourceConfig) { c.MaxWait = -time.Second }, true},
		{"heartbeat above session", func(c *SourceConfig) { c.SessionTimeout, c.HeartbeatInterval = time.Second, 2*time.Second }, true},
		{"retry min above max", func(c *SourceConfig) { c.RetryMin, c.RetryMax = time.Minute, time.Second }, true},
		{"bad start offset", func(c *SourceConfig) { c.StartOffset = 5 }, true},
		{"last offset", func(c *SourceConfig) { c.StartOffset = kafka.LastOffset }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mutate(&c)
			if err := c.Validate(); (err != nil) != tc.bad {
				t.Fatalf("Validate = %v, bad = %v", err, tc.bad)
			}
		})
	}
	if _, err := NewKafkaSource(ok, nil, nil, nil); err == nil {
		t.Fatal("nil handler accepted")
	}
	// Two sources on one registry share metrics instead of failing.
	reg := prometheus.NewRegistry()
	h := BatchHandlerFunc(func(context.Context, *Batch) error { return nil })
	for i := 0; i < 2; i++ {
		if _, err := NewKafkaSource(ok, h, nil, reg); err != nil {
			t.Fatalf("source %d: %v", i, err)
		}
	}
}

// TestKafkaSourceCrashTakeover: member A dies on a fatal error in the middle
// of a partition; member B of the same group takes the partition over and
// re-handles everything A did not commit, so every message is handled.
func TestKafkaSourceCrashTakeover(t *testing.T) {
	brokers := newKafka(t, 2, "obs")
	produce(t, brokers, "obs", makeMessages(400, 20, 0))
	hw := highWatermarks(t, brokers, "obs", 2)
	cfg := fastGroup(brokers, "obs", "g6")
	cfg.MaxBatch = 10
	recA := newRecorder(t, "A")
	recA.fatalAt[0] = hw[0] / 2
	recA.fatalAt[1] = hw[1] / 2
	recA.delay = 3 * time.Millisecond
	_, stopA, doneA := startSource(t, cfg, recA, nil)
	select {
	case <-doneA:
	case <-time.After(20 * time.Second):
		t.Fatal("A did not crash")
	}
	if err := stopA(); !errors.Is(err, errFatal) {
		t.Fatalf("A ended with %v", err)
	}
	c := committed(t, brokers, "g6", "obs", 2)
	for p := range c {
		if c[p] > hw[p]/2 {
			t.Fatalf("partition %d committed %d beyond the crash offset %d", p, c[p], hw[p]/2)
		}
	}
	recB := recA.peer("B")
	_, stopB, _ := startSource(t, cfg, recB, nil)
	waitFor(t, "B handles the rest", 20*time.Second, func() bool {
		for p := 0; p < 2; p++ {
			for off := int64(0); off < hw[p]; off++ {
				if !recA.has(p, off) && !recB.has(p, off) {
					return false
				}
			}
		}
		return true
	})
	waitFor(t, "commits at the high watermark", 10*time.Second, func() bool {
		return slices.Equal(committed(t, brokers, "g6", "obs", 2), hw)
	})
	if err := stopB(); err != nil {
		t.Fatal(err)
	}
	for p := 0; p < 2; p++ {
		if c[p] >= 0 && !recB.has(p, max(c[p], 0)) {
			t.Fatalf("partition %d: B did not restart at the committed offset %d", p, c[p])
		}
	}
}
