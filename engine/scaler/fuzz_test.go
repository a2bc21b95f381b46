package scaler

import (
	"encoding/binary"
	"math"
	"testing"
)

// FuzzFit checks that every kind yields finite statistics with a positive
// scale for any finite window (|x| < 1e30) and any mask.
func FuzzFit(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64}, []byte{1, 1, 0})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0}, []byte{0, 0})
	f.Add([]byte{0, 0, 192, 127, 0, 0, 128, 63}, []byte{1, 1}) // NaN and 1
	f.Fuzz(func(t *testing.T, raw, maskBytes []byte) {
		n := len(raw) / 4
		if n == 0 || n > 512 {
			return
		}
		x := make([]float32, n)
		for i := range x {
			v := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			if math.IsInf(float64(v), 0) || math.Abs(float64(v)) >= 1e30 {
				v = 0
			}
			x[i] = v // NaN allowed: treated as missing
		}
		mask := make([]float32, n)
		for i := range mask {
			if i < len(maskBytes) && maskBytes[i]&1 == 1 {
				mask[i] = 1
			}
		}
		for k := Identity; k <= RevIN; k++ {
			s, _ := New(k, 1)
			loc, scale := []float32{0}, []float32{0}
			s.Fit(loc, scale, x, mask, 1, n)
			if math.IsNaN(float64(loc[0])) || math.IsInf(float64(loc[0]), 0) || !(scale[0] > 0) || math.IsInf(float64(scale[0]), 0) {
				t.Fatalf("%v: loc %v scale %v for %v mask %v", k, loc[0], scale[0], x, mask)
			}
		}
	})
}
