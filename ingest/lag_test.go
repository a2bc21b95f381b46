package ingest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestKafkaSourceLagIsUncommitted: the lag gauge is the high watermark
// minus the committed offset, not minus the handled position: while the
// coordinator refuses commits, handled messages still count as lag (and
// every failed commit is counted); once a commit succeeds the lag drops.
func TestKafkaSourceLagIsUncommitted(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "obs"),
		kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	var refuse atomic.Bool
	refuse.Store(true)
	c.ControlKey(kmsg.OffsetCommit.Int16(), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if !refuse.Load() {
			return nil, nil, false
		}
		req := kreq.(*kmsg.OffsetCommitRequest)
		resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewOffsetCommitResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewOffsetCommitResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = 14 // COORDINATOR_LOAD_IN_PROGRESS
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	brokers := c.ListenAddrs()
	produce(t, brokers, "obs", makeMessages(100, 7, 0))

	reg := prometheus.NewRegistry()
	rec := newRecorder(t, "A")
	src, stop, _ := startSource(t, fastGroup(brokers, "obs", "g1"), rec, reg)
	waitFor(t, "100 messages", 20*time.Second, func() bool { return rec.count() == 100 })
	waitFor(t, "failed commits", 10*time.Second, func() bool { return testutil.ToFloat64(src.m.commitErrors) >= 3 })
	if got := testutil.ToFloat64(src.m.lag.WithLabelValues("0")); got != 100 {
		t.Fatalf("lag with every commit refused = %v, want 100 (nothing committed)", got)
	}

	refuse.Store(false)
	produce(t, brokers, "obs", makeMessages(1, 7, 100))
	waitFor(t, "lag 0 after a successful commit", 10*time.Second, func() bool {
		return testutil.ToFloat64(src.m.lag.WithLabelValues("0")) == 0
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
