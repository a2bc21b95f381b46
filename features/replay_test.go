package features

import "testing"

// TestFirstOutcome: replays of applied events are found with their record,
// replays of late events are late, and replays older than the kept
// history are unknown; copies of one observation were applied once.
func TestFirstOutcome(t *testing.T) {
	cfg := DefaultConfig()
	cfg.History, cfg.Windows, cfg.Lags = 3, nil, nil
	stream := []Observation{
		obAt("s", 0, 1, 0, 0), // applied, then dropped from the ring of 3
		obAt("s", 2, 2, 0, 1), // applied
		obAt("s", 1, 9, 0, 2), // late: before minute 2 (older than the ring later)
		obAt("s", 2, 7, 0, 3), // late: same time as offset 1, other value
		obAt("s", 3, 3, 0, 4), // applied
		obAt("s", 3, 3, 0, 5), // late: a copy of offset 4
		obAt("s", 5, 5, 0, 6), // applied
	}
	st := NewState("s")
	first := make([]Status, len(stream))
	for i := range stream {
		first[i] = cfg.Step(st, &stream[i])
	}
	if st.Count != 4 || len(st.Values) != 3 {
		t.Fatalf("count %d, %d values", st.Count, len(st.Values))
	}
	tests := []struct {
		off   int64
		after int
		want  Status
		idx   int
	}{
		{0, -1, Duplicate, -1}, // applied but dropped: unknown
		{1, -1, Applied, 0},
		{2, -1, Duplicate, -1}, // before the oldest kept record: unknown
		{3, -1, Late, -1},
		{4, -1, Applied, 1},
		{5, 1, Late, -1},    // after offset 4 matched record 1
		{5, -1, Applied, 1}, // alone, a copy is taken for the original
		{6, -1, Applied, 2},
	}
	for _, tc := range tests {
		ob := &stream[tc.off]
		if got := cfg.Step(st, ob); got != Duplicate {
			t.Fatalf("offset %d replayed: %v, want duplicate", tc.off, got)
		}
		got, idx := st.FirstOutcome(ob, tc.after)
		if got != tc.want || idx != tc.idx {
			t.Errorf("offset %d (after %d): %v %d, want %v %d", tc.off, tc.after, got, idx, tc.want, tc.idx)
		}
		if tc.after < 0 && tc.off != 5 && got != Duplicate && got != first[tc.off] {
			t.Errorf("offset %d: first outcome %v, FirstOutcome %v", tc.off, first[tc.off], got)
		}
	}
	// Nothing dropped yet: an unknown time is late, not unknown.
	st2 := NewState("s")
	cfg.Step(st2, &stream[1])
	cfg.Step(st2, &stream[4])
	if got, _ := st2.FirstOutcome(&stream[2], -1); got != Late {
		t.Errorf("time not in a complete history: %v, want late", got)
	}
}
