package tensor

import (
	"math"
	"testing"
)

// refAttention computes out = softmax(scale·q·kᵀ)·v for one head and, for
// the output seed g, the gradients of Σ g ⊙ out, in float64.
func refAttention(q, k, v, g []float32, lq, lk, d, dv int, scale float64) (out, gq, gk, gv []float64) {
	p := make([]float64, lq*lk)
	for i := 0; i < lq; i++ {
		m := math.Inf(-1)
		for j := 0; j < lk; j++ {
			var s float64
			for l := 0; l < d; l++ {
				s += float64(q[i*d+l]) * float64(k[j*d+l])
			}
			p[i*lk+j] = s * scale
			m = math.Max(m, p[i*lk+j])
		}
		var z float64
		for j := 0; j < lk; j++ {
			p[i*lk+j] = math.Exp(p[i*lk+j] - m)
			z += p[i*lk+j]
		}
		for j := 0; j < lk; j++ {
			p[i*lk+j] /= z
		}
	}
	out = make([]float64, lq*dv)
	gq, gk, gv = make([]float64, lq*d), make([]float64, lk*d), make([]float64, lk*dv)
	for i := 0; i < lq; i++ {
		dp := make([]float64, lk)
		var dot float64
		for j := 0; j < lk; j++ {
			for c := 0; c < dv; c++ {
				out[i*dv+c] += p[i*lk+j] * float64(v[j*dv+c])
				dp[j] += float64(g[i*dv+c]) * float64(v[j*dv+c])
				gv[j*dv+c] += p[i*lk+j] * float64(g[i*dv+c])
			}
			dot += dp[j] * p[i*lk+j]
		}
		for j := 0; j < lk; j++ {
			ds := p[i*lk+j] * (dp[j] - dot) * scale
			for l := 0; l < d; l++ {
				gq[i*d+l] += ds * float64(k[j*d+l])
				gk[j*d+l] += ds * float64(q[i*d+l])
			}
		}
	}
	return out, gq, gk, gv
}

// TestAttentionPathsAgainstReference covers both the small-head kernels and
// the Gemm path (heads above attnSmallWork) on every backend.
func TestAttentionPathsAgainstReference(t *testing.T) {
	for _, c := range []struct{ lq, lk, d, dv int }{{5, 7, 3, 4}, {42, 42, 8, 8}, {70, 66, 64, 60}} {
		q, k, v := param(141, 2, c.lq, c.d), param(142, 2, c.lk, c.d), param(143, 2, c.lk, c.dv)
		tp := NewTape()
		out, _ := Attention(tp, q, k, v, AttentionConfig{})
		g := RandN(144, 2, c.lq, c.dv)
		tp.BackwardWith(out, g.Data)
		scale := 1 / math.Sqrt(float64(c.d))
		for b := 0; b < 2; b++ {
			qs, ks, vs := q.Data[b*c.lq*c.d:], k.Data[b*c.lk*c.d:], v.Data[b*c.lk*c.dv:]
			ro, rq, rk, rv := refAttention(qs, ks, vs, g.Data[b*c.lq*c.dv:], c.lq, c.lk, c.d, c.dv, scale)
			for name, pair := range map[string]struct {
				got  []float32
				want []float64
			}{
				"out": {out.Data[b*c.lq*c.dv:], ro}, "dq": {q.Grad[b*c.lq*c.d:], rq},
				"dk": {k.Grad[b*c.lk*c.d:], rk}, "dv": {v.Grad[b*c.lk*c.dv:], rv},
			} {
				for i, w := range pair.want {
					if d := math.Abs(float64(pair.got[i]) - w); d > 2e-5*math.Max(1, math.Abs(w)) {
						t.Fatalf("%v batch %d %s[%d] = %g, want %g", c, b, name, i, pair.got[i], w)
					}
				}
			}
		}
	}
}
