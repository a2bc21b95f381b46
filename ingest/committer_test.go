package ingest

import (
	"sync"
	"testing"
	"time"
)

// TestCommitterOrderCoalesceFlush: commits happen in ascending order, never
// for an offset that was not submitted, coalesce while a commit is in
// flight, and the newest offset is committed by close.
func TestCommitterOrderCoalesceFlush(t *testing.T) {
	var mu sync.Mutex
	var got []int64
	gate := make(chan struct{})
	first := true
	c := newCommitter(func(next int64) {
		if first {
			first = false
			<-gate // hold the first commit so later submits coalesce
		}
		mu.Lock()
		got = append(got, next)
		mu.Unlock()
	}, 0)
	c.submit(10)
	// Wait until the committer took 10 (the pending slot is free again).
	for deadline := time.Now().Add(5 * time.Second); ; {
		c.mu.Lock()
		taken := c.next == -1
		c.mu.Unlock()
		if taken {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("committer never picked up the first offset")
		}
		time.Sleep(time.Millisecond)
	}
	for off := int64(20); off <= 50; off += 10 {
		c.submit(off)
	}
	close(gate)
	c.close()
	c.close() // idempotent
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 2 || got[0] != 10 || got[len(got)-1] != 50 {
		t.Fatalf("commits %v: want 10 first and 50 last", got)
	}
	if len(got) > 2 {
		t.Fatalf("commits %v: offsets submitted during an in-flight commit should coalesce to the newest", got)
	}
}

func TestCommitterNothingPending(t *testing.T) {
	calls := 0
	c := newCommitter(func(int64) { calls++ }, 0)
	c.close()
	if calls != 0 {
		t.Fatalf("close without submits committed %d times", calls)
	}
}

// TestCommitterInterval: with an interval, a burst of submits costs one
// commit for the first offset and, at close, one for the newest; nothing
// in between and nothing out of order.
func TestCommitterInterval(t *testing.T) {
	var mu sync.Mutex
	var got []int64
	c := newCommitter(func(next int64) {
		mu.Lock()
		got = append(got, next)
		mu.Unlock()
	}, time.Hour)
	c.submit(1)
	for deadline := time.Now().Add(5 * time.Second); ; { // the first commit is immediate
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("first offset never committed")
		}
		time.Sleep(time.Millisecond)
	}
	for off := int64(2); off <= 100; off++ {
		c.submit(off)
	}
	c.close()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != 1 || got[1] != 100 {
		t.Fatalf("commits %v, want [1 100]", got)
	}
}
