package features

import (
	"context"
	"encoding/binary"
	"testing"
)

// TestStoreTopicAndOffsetRegression: the stored header records the source
// topic, so a renamed input topic (offsets restarting at 0) is judged by
// event time only; on the same topic an offset at or below the stored one
// with a newer event time (a recreated topic: a replay is never newer) is
// applied and flagged; states written before the topic was recorded (zero
// topic bytes) still compare offsets.
func TestStoreTopicAndOffsetRegression(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			rdb, cfg := be.open(t)
			s := newTestStore(t, rdb, cfg)
			ctx := context.Background()
			steps := []struct {
				ob        Observation
				want      Status
				regressed bool
			}{
				{obIn("s", 5, "obs", 100), Applied, false},
				{obIn("s", 5, "obs", 100), Duplicate, false},
				{obIn("s", 6, "obs", 0), Applied, true}, // recreated topic
				{obIn("s", 7, "obs", 1), Applied, false},
				{obIn("s", 7, "obs", 1), Duplicate, false},
				{obIn("s", 3, "obs-v2", 0), Late, false}, // renamed: time only
				{obIn("s", 8, "obs-v2", 1), Applied, false},
				{obIn("s", 8, "obs-v2", 1), Duplicate, false},
			}
			dst := make([]Result, 1)
			for i, st := range steps {
				if i == 4 {
					s.ForgetCache() // one step decided from a fresh read
				}
				if err := s.Apply(ctx, []Observation{st.ob}, 1, dst); err != nil {
					t.Fatal(err)
				}
				if dst[0].Status != st.want || dst[0].OffsetRegressed != st.regressed {
					t.Fatalf("step %d: %v regressed=%v, want %v regressed=%v", i, dst[0].Status, dst[0].OffsetRegressed, st.want, st.regressed)
				}
			}
			got, err := s.State(ctx, "s")
			if err != nil {
				t.Fatal(err)
			}
			if got.LastTopic != TopicID("obs-v2") || got.LastOffset != 1 || got.Count != 4 {
				t.Fatalf("state topic %x offset %d count %d", got.LastTopic, got.LastOffset, got.Count)
			}

			// A header of the previous release has zero topic bytes: its
			// offsets stay comparable with any topic.
			key := s.Keys("s")[0]
			var zero [4]byte
			if err := rdb.SetRange(ctx, key, 44, string(zero[:])).Err(); err != nil {
				t.Fatal(err)
			}
			s.ForgetCache()
			if err := s.Apply(ctx, []Observation{obIn("s", 8, "other", 1)}, 1, dst); err != nil {
				t.Fatal(err)
			}
			if dst[0].Status != Duplicate {
				t.Fatalf("old header: %v, want duplicate", dst[0].Status)
			}
			b, err := rdb.GetRange(ctx, key, 44, 47).Result()
			if err != nil || binary.LittleEndian.Uint32([]byte(b)) != 0 {
				t.Fatalf("a skipped event rewrote the header: %q %v", b, err)
			}
		})
	}
}

func TestTopicID(t *testing.T) {
	if TopicID("") != 0 {
		t.Fatal("empty topic must be unknown (0)")
	}
	seen := map[uint32]string{}
	for _, name := range []string{"observations", "observations-v2", "obs", "a", "b"} {
		id := TopicID(name)
		if id == 0 {
			t.Fatalf("TopicID(%q) = 0", name)
		}
		if o, ok := seen[id]; ok {
			t.Fatalf("TopicID(%q) = TopicID(%q)", name, o)
		}
		seen[id] = name
	}
}
