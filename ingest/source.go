package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
)

// KafkaSource consumes a topic as a member of a consumer group. Each
// assigned partition gets its own goroutine and kafka.Reader that starts at
// the group's committed offset, collects batches of up to MaxBatch messages
// (or whatever arrived within MaxWait of the first one), hands them to the
// BatchHandler and commits last offset + 1 only after the handler returned
// nil. Partitions are processed concurrently; within a partition batches
// are strictly sequential and in offset order.
//
// Delivery is at-least-once: a batch whose handler did not succeed is never
// committed, and after a crash or rebalance it is delivered again (to this
// or another member). Handlers must therefore be idempotent per offset.
//
// Metrics (registered on the Registerer given to NewKafkaSource):
//
//	streamcast_ingest_consumer_lag_messages{partition}  high watermark − committed offset
//	streamcast_ingest_assigned_partitions               partitions held now
//	streamcast_ingest_batches_total, _messages_total    handled (then committed)
//	streamcast_ingest_batch_retries_total               transient handler failures
//	streamcast_ingest_commit_errors_total               failed offset commits
//	streamcast_ingest_group_generations_total           joins (1 + rebalances)
//	streamcast_ingest_group_errors_total                join/sync failures
//	streamcast_ingest_batch_handle_duration_seconds     handler time per attempt
type KafkaSource struct {
	cfg   SourceConfig
	h     BatchHandler
	log   *slog.Logger
	m     *sourceMetrics
	ready atomic.Bool

	mu       sync.Mutex
	assigned []int
	running  bool
}

// NewKafkaSource validates cfg and builds a source; nothing connects until Run.
func NewKafkaSource(cfg SourceConfig, h BatchHandler, log *slog.Logger, reg prometheus.Registerer) (*KafkaSource, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("ingest: NewKafkaSource needs a BatchHandler")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newSourceMetrics(reg)
	if err != nil {
		return nil, err
	}
	return &KafkaSource{cfg: cfg.withDefaults(), h: h, log: log.With("component", "ingest.source", "topic", cfg.Topic, "group", cfg.GroupID), m: m}, nil
}

// Ready reports whether the source has joined the group and holds a
// generation (its partition assignment may be empty if the group has more
// members than partitions). It turns false when Run returns.
func (s *KafkaSource) Ready() bool { return s.ready.Load() }

// Assigned returns the partitions of the current generation, sorted.
func (s *KafkaSource) Assigned() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.assigned...)
}

func (s *KafkaSource) setAssigned(ps []int) {
	s.mu.Lock()
	s.assigned = ps
	s.mu.Unlock()
	s.m.assigned.Set(float64(len(ps)))
}

// errAbandoned: a batch was given up (shutdown or lost partition) without
// being handled; it is not committed.
var errAbandoned = errors.New("batch abandoned")

// Run consumes until ctx is cancelled or the handler returns a fatal error.
// On cancellation it stops fetching, lets in-flight batches finish (their
// handler context stays alive for up to DrainTimeout), commits them, and
// leaves the group; it then returns nil. A fatal handler error stops all
// partitions the same way (batches in flight elsewhere still finish and
// commit) and is returned. Run may be called once.
func (s *KafkaSource) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("ingest: KafkaSource.Run called twice")
	}
	s.running = true
	s.mu.Unlock()

	c := s.cfg
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                c.GroupID,
		Brokers:           c.Brokers,
		Dialer:            c.Dialer,
		Topics:            []string{c.Topic},
		HeartbeatInterval: c.HeartbeatInterval,
		SessionTimeout:    c.SessionTimeout,
		RebalanceTimeout:  c.RebalanceTimeout,
		JoinGroupBackoff:  c.JoinGroupBackoff,
		StartOffset:       c.StartOffset,
		Logger:            debugLogger(s.log, "kafka.group"),
		ErrorLogger:       errorLogger(s.log, "kafka.group"),
	})
	if err != nil {
		return fmt.Errorf("ingest: consumer group: %w", err)
	}

	// Handlers keep running through a graceful stop, bounded by DrainTimeout.
	hctx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	stopDrainTimer := context.AfterFunc(ctx, func() { time.AfterFunc(c.DrainTimeout, cancelHandlers) })
	defer stopDrainTimer()

	fatal := make(chan error, 1)
	var runErr error
loop:
	for {
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed) {
				break
			}
			s.m.groupErrors.Inc()
			s.log.Warn("consumer group error; retrying", "err", err)
			continue
		}
		s.m.generations.Inc()
		ended := s.startGeneration(ctx, hctx, gen, fatal)
		select {
		case <-ended:
		case <-ctx.Done():
			break loop
		case runErr = <-fatal:
			break loop
		}
	}
	// Closing the group ends the generation, waits for every partition
	// goroutine to finish its batch and commit, then leaves the group.
	_ = cg.Close()
	s.ready.Store(false)
	s.setAssigned(nil)
	if runErr == nil {
		select {
		case runErr = <-fatal:
		default:
		}
	}
	if runErr != nil {
		s.log.Error("source stopped on fatal handler error", "err", runErr)
		return runErr
	}
	s.log.Info("source stopped")
	return nil
}

// startGeneration launches one goroutine per assigned partition and returns
// a channel closed when the generation ends.
func (s *KafkaSource) startGeneration(ctx, hctx context.Context, gen *kafka.Generation, fatal chan error) <-chan struct{} {
	ended := make(chan struct{})
	gen.Start(func(gctx context.Context) {
		<-gctx.Done()
		close(ended)
	})
	assigns := gen.Assignments[s.cfg.Topic]
	parts := make([]int, 0, len(assigns))
	for _, a := range assigns {
		parts = append(parts, a.ID)
	}
	slices.Sort(parts)
	s.setAssigned(parts)
	s.ready.Store(true)
	s.log.Info("joined generation", "generation", gen.ID, "member", gen.MemberID, "partitions", parts)
	for _, a := range assigns {
		gen.Start(func(gctx context.Context) {
			if err := s.consumePartition(ctx, hctx, gctx, gen, a); err != nil {
				select {
				case fatal <- err:
				default:
				}
			}
		})
	}
	return ended
}

// consumePartition runs the fetch → handle → commit loop of one partition
// for one generation. It returns a non-nil error only for fatal handler
// errors; otherwise it returns when the generation ends.
func (s *KafkaSource) consumePartition(ctx, hctx, gctx context.Context, gen *kafka.Generation, a kafka.PartitionAssignment) error {
	c := s.cfg
	label := strconv.Itoa(a.ID)
	log := s.log.With("partition", a.ID)
	// stop ends fetching: Run cancelled or generation over.
	stop, cancelStop := context.WithCancel(ctx)
	defer cancelStop()
	defer context.AfterFunc(gctx, cancelStop)()

	readerMaxWait := 250 * time.Millisecond
	if c.MaxWait > readerMaxWait {
		readerMaxWait = c.MaxWait
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:       c.Brokers,
		Topic:         c.Topic,
		Partition:     a.ID,
		Dialer:        c.Dialer,
		MinBytes:      1,
		MaxBytes:      c.FetchMaxBytes,
		MaxWait:       readerMaxWait,
		QueueCapacity: c.MaxBatch,
		Logger:        debugLogger(s.log, "kafka.reader"),
		ErrorLogger:   errorLogger(s.log, "kafka.reader"),
	})
	defer r.Close()
	if err := r.SetOffset(a.Offset); err != nil {
		return fmt.Errorf("ingest: partition %d: seek to %d: %w", a.ID, a.Offset, err)
	}
	log.Debug("partition started", "offset", a.Offset)

	// Offsets are committed by a separate goroutine so that the commit
	// round trip of batch N overlaps the handling of batch N+1; it is only
	// ever given an offset after that batch's handler returned nil, and it
	// is flushed before this function returns.
	lag := &partitionLag{g: s.m.lag.WithLabelValues(label), committed: a.Offset}
	cm := newCommitter(func(next int64) {
		if s.commit(gctx, gen, a.ID, next, log) {
			lag.commit(next)
		}
	}, c.CommitInterval)
	defer cm.close()

	batch := &Batch{Topic: c.Topic, Partition: a.ID, Messages: make([]kafka.Message, 0, c.MaxBatch)}
	for stop.Err() == nil {
		if err := s.fill(stop, r, batch); err != nil && stop.Err() == nil && len(batch.Messages) == 0 {
			// Returning ends the generation: kafka-go rejoins the group
			// and every partition restarts from its committed offset.
			log.Error("fetch failed; ending the generation to rejoin", "err", err)
			cm.close()
			s.m.lag.DeleteLabelValues(label)
			return nil
		}
		if len(batch.Messages) == 0 {
			continue
		}
		lag.start(batch.Messages[0].Offset)
		err := s.handle(stop, hctx, gctx, batch, log)
		if errors.Is(err, errAbandoned) {
			break
		}
		if err != nil {
			return err
		}
		last := batch.Messages[len(batch.Messages)-1]
		s.m.batches.Inc()
		s.m.messages.Add(float64(len(batch.Messages)))
		lag.highWatermark(last.HighWaterMark)
		cm.submit(last.Offset + 1)
		clear(batch.Messages) // release payloads before reuse
		batch.Messages = batch.Messages[:0]
	}
	// Commit what was handled, then stay in the generation until it ends
	// (ending it early would make kafka-go rejoin while Run is shutting
	// down).
	cm.close()
	<-gctx.Done()
	s.m.lag.DeleteLabelValues(label)
	return nil
}

// fill appends up to MaxBatch messages to b: it blocks for the first one
// (until stop), then takes more until the batch is full or MaxWait passed.
func (s *KafkaSource) fill(stop context.Context, r *kafka.Reader, b *Batch) error {
	m, err := r.FetchMessage(stop)
	if err != nil {
		return err
	}
	b.Messages = append(b.Messages, m)
	if len(b.Messages) >= s.cfg.MaxBatch {
		return nil
	}
	wctx, cancel := context.WithTimeout(stop, s.cfg.MaxWait)
	defer cancel()
	for len(b.Messages) < s.cfg.MaxBatch {
		m, err := r.FetchMessage(wctx)
		if err != nil {
			if wctx.Err() != nil {
				return nil // MaxWait elapsed or stopping: hand over what we have
			}
			return err
		}
		b.Messages = append(b.Messages, m)
	}
	return nil
}

// handle calls the handler until it succeeds, retrying transient errors
// with capped exponential backoff. It returns errAbandoned when retrying
// stops because of shutdown or the end of the generation, and a wrapped
// error for fatal handler errors.
func (s *KafkaSource) handle(stop, hctx, gctx context.Context, b *Batch, log *slog.Logger) error {
	backoff := s.cfg.RetryMin
	first, last := b.Messages[0].Offset, b.Messages[len(b.Messages)-1].Offset
	for attempt := 1; ; attempt++ {
		t0 := time.Now()
		err := s.h.HandleBatch(hctx, b)
		s.m.handleTime.Observe(time.Since(t0).Seconds())
		if err == nil {
			return nil
		}
		if !IsTransient(err) {
			return fmt.Errorf("ingest: partition %d offsets %d..%d: %w", b.Partition, first, last, err)
		}
		s.m.retries.Inc()
		log.Warn("batch failed with a transient error; retrying", "first_offset", first, "last_offset", last,
			"attempt", attempt, "backoff", backoff, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-stop.Done():
			t.Stop()
			log.Info("giving up a failing batch without commit", "first_offset", first, "reason", context.Cause(stop))
			return errAbandoned
		}
		if gctx.Err() != nil {
			return errAbandoned
		}
		backoff = min(2*backoff, s.cfg.RetryMax)
	}
}

// committer commits one partition's offsets in the background, in order,
// coalescing offsets submitted while a commit is in flight (only the
// newest matters: committing next covers every earlier offset).
type committer struct {
	commit   func(next int64) // called from one goroutine, offsets ascending
	interval time.Duration    // minimum time between two commits

	mu   sync.Mutex
	next int64 // -1: nothing pending
	wake chan struct{}
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

func newCommitter(commit func(next int64), interval time.Duration) *committer {
	c := &committer{commit: commit, interval: interval, next: -1,
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// submit schedules a commit of next (the offset after a handled batch).
func (c *committer) submit(next int64) {
	c.mu.Lock()
	c.next = next
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // a wake-up is already pending; it will see next
	}
}

// close commits whatever is pending and stops the goroutine; it returns
// once the last commit attempt is over. It is idempotent.
func (c *committer) close() {
	c.once.Do(func() { close(c.quit) })
	<-c.done
}

// run commits the newest submitted offset at most once per interval
// (offsets submitted meanwhile coalesce into the next commit); quit
// interrupts the wait and commits what is pending at once.
func (c *committer) run() {
	defer close(c.done)
	var last time.Time
	for {
		select {
		case <-c.wake:
			if wait := c.interval - time.Since(last); !last.IsZero() && wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-c.quit:
					t.Stop()
					c.flush()
					return
				}
			}
			c.flush()
			last = time.Now()
		case <-c.quit:
			c.flush()
			return
		}
	}
}

func (c *committer) flush() {
	c.mu.Lock()
	next := c.next
	c.next = -1
	c.mu.Unlock()
	if next >= 0 {
		c.commit(next)
	}
}

// commit stores next as the partition's committed offset, retrying briefly,
// and reports whether it succeeded. A failed commit is not fatal: the batch
// is handled again by whoever owns the partition next (at-least-once), and
// later commits supersede it; every failed attempt is counted
// (streamcast_ingest_commit_errors_total) and the lag gauge keeps counting
// the uncommitted messages.
func (s *KafkaSource) commit(gctx context.Context, gen *kafka.Generation, partition int, next int64, log *slog.Logger) bool {
	offsets := map[string]map[int]int64{s.cfg.Topic: {partition: next}}
	for attempt := 1; attempt <= 3; attempt++ {
		err := gen.CommitOffsets(offsets)
		if err == nil {
			return true
		}
		s.m.commitErrors.Inc()
		log.Warn("offset commit failed", "offset", next, "attempt", attempt, "err", err)
		if errors.Is(err, kafka.IllegalGeneration) || errors.Is(err, kafka.UnknownMemberId) || errors.Is(err, kafka.RebalanceInProgress) && gctx.Err() != nil {
			return false
		}
		time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
	}
	return false
}

// partitionLag keeps streamcast_ingest_consumer_lag_messages of one
// partition at high watermark − committed offset: the messages a restart
// would (re)consume. It is updated when a batch reveals the high watermark
// and when a commit succeeds (from the committer goroutine).
type partitionLag struct {
	g         prometheus.Gauge
	mu        sync.Mutex
	hwm       int64 // last seen high watermark; 0 = none yet
	committed int64 // committed offset; < 0 = none yet (see start)
}

// start sets the committed baseline from the first fetched offset when the
// group had no committed offset (the assignment holds FirstOffset or
// LastOffset, both negative).
func (l *partitionLag) start(first int64) {
	l.mu.Lock()
	if l.committed < 0 {
		l.committed = first
	}
	l.mu.Unlock()
}

func (l *partitionLag) highWatermark(hwm int64) {
	l.mu.Lock()
	if hwm > 0 {
		l.hwm = hwm
	}
	l.set()
	l.mu.Unlock()
}

func (l *partitionLag) commit(next int64) {
	l.mu.Lock()
	l.committed = max(l.committed, next)
	l.set()
	l.mu.Unlock()
}

func (l *partitionLag) set() {
	if l.hwm > 0 && l.committed >= 0 {
		l.g.Set(float64(max(l.hwm-l.committed, 0)))
	}
}
