package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// MultiHeadAttention holds the parameters of PyTorch's
// nn.MultiheadAttention(embed, heads, bias, batch_first=True):
// InProjWeight stacks [W_q; W_k; W_v] (3E, E), InProjBias (3E) or nil,
// OutProjWeight (E, E), OutProjBias (E) or nil. The state dict of a torch
// module maps onto these fields one to one.
type MultiHeadAttention struct {
	Heads         int
	InProjWeight  *Tensor
	InProjBias    *Tensor
	OutProjWeight *Tensor
	OutProjBias   *Tensor

	// views re-point into the packed in-projection each Forward (no allocation).
	wq, wk, wv, bq, bk, bv Tensor
}

// NewMultiHeadAttention returns a module with PyTorch's initialisation:
// Xavier-uniform InProjWeight, U(−1/√E, 1/√E) OutProjWeight and zero biases,
// drawn from a PCG stream with the given seed. embed must be a positive
// multiple of heads.
func NewMultiHeadAttention(embed, heads int, bias bool, seed uint64) (*MultiHeadAttention, error) {
	if embed <= 0 || heads <= 0 || embed%heads != 0 {
		return nil, fmt.Errorf("tensor: MultiHeadAttention embed %d must be a positive multiple of heads %d", embed, heads)
	}
	rng := rand.New(rand.NewPCG(seed, 0x3a77))
	m := &MultiHeadAttention{Heads: heads, InProjWeight: NewParam(3*embed, embed), OutProjWeight: NewParam(embed, embed)}
	a := math.Sqrt(6 / float64(embed+3*embed))
	for i := range m.InProjWeight.Data {
		m.InProjWeight.Data[i] = float32((2*rng.Float64() - 1) * a)
	}
	a = 1 / math.Sqrt(float64(embed))
	for i := range m.OutProjWeight.Data {
		m.OutProjWeight.Data[i] = float32((2*rng.Float64() - 1) * a)
	}
	if bias {
		m.InProjBias, m.OutProjBias = NewParam(3*embed), NewParam(embed)
	}
	return m, nil
}

// Params returns the trainable tensors (nil biases omitted).
func (m *MultiHeadAttention) Params() []*Tensor {
	ps := []*Tensor{m.InProjWeight, m.OutProjWeight}
	for _, b := range []*Tensor{m.InProjBias, m.OutProjBias} {
		if b != nil {
			ps = append(ps, b)
		}
	}
	return ps
}

// Forward returns the attention output (N, Lq, E) for query (N, Lq, E) and
// key, value (N, Lk, E), plus the pre-softmax scores (N, heads, Lq, Lk)
// (see Attention for cfg; its default scale 1/√(E/heads) is PyTorch's).
// When query, key and value are the same tensor the three projections are
// one Linear. Forward panics on shapes that do not match the module.
func (m *MultiHeadAttention) Forward(tp *Tape, query, key, value *Tensor, cfg AttentionConfig) (out, scores *Tensor) {
	if m.InProjWeight == nil || m.OutProjWeight == nil || len(m.InProjWeight.Shape) != 2 {
		panic("tensor: MultiHeadAttention without weights")
	}
	e := m.InProjWeight.Shape[1]
	if m.Heads <= 0 || e%m.Heads != 0 || m.InProjWeight.Shape[0] != 3*e {
		panic(fmt.Sprintf("tensor: MultiHeadAttention in-projection %v with %d heads", append([]int(nil), m.InProjWeight.Shape...), m.Heads))
	}
	for _, x := range []*Tensor{query, key, value} {
		if len(x.Shape) != 3 || x.Shape[2] != e || x.Shape[0] != query.Shape[0] {
			panic(fmt.Sprintf("tensor: MultiHeadAttention input %v, want (N, L, %d)", append([]int(nil), x.Shape...), e))
		}
	}
	var q, k, v *Tensor
	if query == key && key == value {
		qkv := Linear(tp, query, m.InProjWeight, m.InProjBias)
		q, k, v = splitHeads(tp, qkv, 0, e, m.Heads), splitHeads(tp, qkv, e, e, m.Heads), splitHeads(tp, qkv, 2*e, e, m.Heads)
	} else {
		m.setViews(e)
		bq, bk, bv := &m.bq, &m.bk, &m.bv
		if m.InProjBias == nil {
			bq, bk, bv = nil, nil, nil
		}
		q = splitHeads(tp, Linear(tp, query, &m.wq, bq), 0, e, m.Heads)
		k = splitHeads(tp, Linear(tp, key, &m.wk, bk), 0, e, m.Heads)
		v = splitHeads(tp, Linear(tp, value, &m.wv, bv), 0, e, m.Heads)
	}
	o, scores := Attention(tp, q, k, v, cfg)
	return Linear(tp, mergeHeads(tp, o), m.OutProjWeight, m.OutProjBias), scores
}

// setViews points wq, wk, wv (and the bias views) at the rows of the packed
// in-projection, sharing its data and gradient storage.
func (m *MultiHeadAttention) setViews(e int) {
	w, b := m.InProjWeight, m.InProjBias
	for i, t := range []*Tensor{&m.wq, &m.wk, &m.wv} {
		t.setShape([]int{e, e})
		t.Data = w.Data[i*e*e : (i+1)*e*e]
		t.Grad = nil
		if w.Grad != nil {
			t.Grad = w.Grad[i*e*e : (i+1)*e*e]
		}
		t.requiresGrad = w.requiresGrad
	}
	if b == nil {
		return
	}
	for i, t := range []*Tensor{&m.bq, &m.bk, &m.bv} {
		t.setShape([]int{e})
		t.Data = b.Data[i*e : (i+1)*e]
		t.Grad = nil
		if b.Grad != nil {
			t.Grad = b.Grad[i*e : (i+1)*e]
		}
		t.requiresGrad = b.requiresGrad
	}
}

// splitHeads returns columns [off, off+e) of x (N, L, C) as (N, heads, L, e/heads).
func splitHeads(tp *Tape, x *Tensor, off, e, heads int) *Tensor {
	n, l, c := x.Shape[0], x.Shape[1], x.Shape[2]
	hd := e / heads
	out := tp.resultNoZero([]int{n, heads, l, hd}, x)
	hm := headMap{n: n, l: l, c: c, off: off, heads: heads, hd: hd}
	hm.gather(out.Data, x.Data)
	if out.requiresGrad {
		tp.record(hm.scatterFunc(x, out))
	}
	return out
}

// mergeHeads turns (N, heads, L, hd) into (N, L, heads·hd).
func mergeHeads(tp *Tape, x *Tensor) *Tensor {
	n, heads, l, hd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	out := tp.resultNoZero([]int{n, l, heads * hd}, x)
	hm := headMap{n: n, l: l, c: heads * hd, heads: heads, hd: hd}
	hm.scatter(out.Data, x.Data)
	if out.requiresGrad {
		tp.record(hm.gatherFunc(out, x))
	}
	return out
}

// headMap maps (n, h, t, j) of a head tensor to (n, t, off + h·hd + j) of a
// (N, L, C) tensor.
type headMap struct {
	n, l, c, off, heads, hd int
}

// gather adds nothing: it copies the (N, L, C) columns into the head tensor.
func (m headMap) gather(dst, src []float32) {
	for b := 0; b < m.n; b++ {
		for h := 0; h < m.heads; h++ {
			for t := 0; t < m.l; t++ {
				s := (b*m.l+t)*m.c + m.off + h*m.hd
				d := ((b*m.heads+h)*m.l + t) * m.hd
				copy(dst[d:d+m.hd], src[s:s+m.hd])
			}
		}
	}
}

// scatter copies the head tensor src into the (N, L, C) dst columns.
func (m headMap) scatter(dst, src []float32) {
	for b := 0; b < m.n; b++ {
		for h := 0; h < m.heads; h++ {
			for t := 0; t < m.l; t++ {
				s := ((b*m.heads+h)*m.l + t) * m.hd
				d := (b*m.l+t)*m.c + m.off + h*m.hd
				copy(dst[d:d+m.hd], src[s:s+m.hd])
			}
		}
	}
}

// accumulate adds the head gradient into the (N, L, C) gradient (toFlat) or
// the flat gradient into the head gradient (!toFlat).
func (m headMap) accumulate(flat, head []float32, toFlat bool) {
	for b := 0; b < m.n; b++ {
		for h := 0; h < m.heads; h++ {
			for t := 0; t < m.l; t++ {
				f := flat[(b*m.l+t)*m.c+m.off+h*m.hd:][:m.hd]
				hh := head[((b*m.heads+h)*m.l+t)*m.hd:][:m.hd]
				if toFlat {
					for j, v := range hh {
						f[j] += v
					}
				} else {
					for j, v := range f {
						hh[j] += v
					}
				}
			}
		}
	}
}

func (m headMap) scatterFunc(x, out *Tensor) func() {
	return func() {
		if x.requiresGrad {
			m.accumulate(x.Grad, out.Grad, true)
		}
	}
}

func (m headMap) gatherFunc(out, x *Tensor) func() {
	return func() {
		if x.requiresGrad {
			m.accumulate(out.Grad, x.Grad, false)
		}
	}
}
