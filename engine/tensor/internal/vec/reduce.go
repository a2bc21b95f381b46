package vec

import "math"

func sumGo(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1 float32
	i := 0
	for ; i+2 <= len(a); i += 2 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
	}
	if i < len(a) {
		s0 += a[i] * b[i]
	}
	return s0 + s1
}

func sumSqDevGo(x []float32, m float32) float32 {
	var s0, s1 float32
	i := 0
	for ; i+2 <= len(x); i += 2 {
		d0, d1 := x[i]-m, x[i+1]-m
		s0 += d0 * d0
		s1 += d1 * d1
	}
	if i < len(x) {
		d := x[i] - m
		s0 += d * d
	}
	return s0 + s1
}

func scaleShiftGo(dst, x []float32, a, b float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = v*a + b
	}
}

func axpyGo(dst, x []float32, alpha float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] += alpha * v
	}
}

func reluGo(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		b := math.Float32bits(v)
		dst[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
	}
}

func reluGradGo(dst, g, x []float32) {
	g, x = g[:len(dst)], x[:len(dst)]
	for i, v := range x {
		if v > 0 {
			dst[i] += g[i]
		}
	}
}

func maxGo(x []float32, m float32) float32 {
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	return m
}
