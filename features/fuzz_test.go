package features

import (
	"encoding/binary"
	"math"
	"testing"
	"time"
)

// FuzzStep feeds arbitrary observation streams (decoded from the fuzz input)
// to Config.Step and checks the state invariants: at most History values,
// strictly increasing times, Count = number of Applied, LastTS = last time,
// and skipped observations leave the state unchanged.
func FuzzStep(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23})
	f.Add(make([]byte, 24*10))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := DefaultConfig()
		cfg.History = 5
		cfg.Windows, cfg.Lags = []int{3}, []int{1, 5}
		st := NewState("s")
		var applied int64
		for len(data) >= 24 {
			ts := int64(binary.LittleEndian.Uint64(data[0:8]) % 1000)
			v := math.Float64frombits(binary.LittleEndian.Uint64(data[8:16]))
			off := int64(int8(data[16]))
			part := int(data[17] % 3)
			data = data[24:]
			ob := Observation{Series: "s", TS: time.UnixMilli(ts), Value: v, Source: SourcePos{Partition: part, Offset: off}}
			before := *st
			before.Values = append([]float64(nil), st.Values...)
			switch s := cfg.Step(st, &ob); s {
			case Applied:
				applied++
				if st.Values[len(st.Values)-1] != normValue(v) || st.Times[len(st.Times)-1] != ts {
					t.Fatalf("applied value/time not last")
				}
			case Duplicate, Late, Invalid:
				if st.Count != before.Count || floatsDiff(st.Values, before.Values) != "" || !st.LastTS.Equal(before.LastTS) {
					t.Fatalf("%v changed the state", s)
				}
			default:
				t.Fatalf("unknown status %v", s)
			}
			if len(st.Values) > cfg.History || len(st.Values) != len(st.Times) || st.Count != applied {
				t.Fatalf("invariants: %d values, %d times, count %d, applied %d", len(st.Values), len(st.Times), st.Count, applied)
			}
			for i := 1; i < len(st.Times); i++ {
				if st.Times[i] <= st.Times[i-1] {
					t.Fatalf("times not increasing: %v", st.Times)
				}
			}
			if st.Count > 0 && st.LastTS.UnixMilli() != st.Times[len(st.Times)-1] {
				t.Fatal("LastTS is not the last time")
			}
			feats := cfg.Features(st, nil)
			if len(feats) != cfg.NumFeatures() {
				t.Fatal("feature length")
			}
		}
	})
}
