package tensor

// GRU runs a single-layer GRU over a batch-first sequence, as PyTorch's
// nn.GRU(batch_first=True) with weights w (gate order r, z, n):
//
//	r = σ(W_ir·x + b_ir + W_hr·h + b_hr),  z = σ(W_iz·x + b_iz + W_hz·h + b_hz)
//	n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h
//
// x is (N, T, I); h0 is (N, H) or nil for zeros. It returns every hidden
// state out (N, T, H) and the final state hT (N, H). As LSTM, the input
// projection is one Gemm, each step one Gemm plus a fused gate kernel, and
// backward runs through time with the weight gradients as whole-sequence Gemms.
func GRU(tp *Tape, x, h0 *Tensor, w RNNWeights) (out, hT *Tensor) {
	in, h := w.dims("GRU", 3)
	n, steps := rnnSeqShape("GRU", x, in, h, h0)
	out = tp.resultNoZero([]int{n, steps, h}, x, h0, w.WIH, w.WHH, w.BIH, w.BHH)
	hT = tp.resultNoZero([]int{n, h}, x, h0, w.WIH, w.WHH, w.BIH, w.BHH)
	s := newGRUSeq(tp, n, steps, in, h, w, out.requiresGrad)
	s.forward(x.Data, stateData(h0), w, out.Data)
	for b := 0; b < n; b++ {
		last := (b*steps + steps - 1) * h
		copy(hT.Data[b*h:(b+1)*h], out.Data[last:last+h])
	}
	if out.requiresGrad {
		tp.record(s.backwardFunc(x, h0, w, out, hT))
	}
	return out, hT
}

// GRUCell runs one GRU step, as PyTorch's nn.GRUCell: x is (N, I), h is
// (N, H) or nil for zeros; it returns the next h (N, H).
func GRUCell(tp *Tape, x, h *Tensor, w RNNWeights) *Tensor {
	in, hd := w.dims("GRUCell", 3)
	n := rnnCellShape("GRUCell", x, in, hd, h)
	h1 := tp.resultNoZero([]int{n, hd}, x, h, w.WIH, w.WHH, w.BIH, w.BHH)
	s := newGRUSeq(tp, n, 1, in, hd, w, h1.requiresGrad)
	s.forward(x.Data, stateData(h), w, h1.Data)
	if h1.requiresGrad {
		tp.record(s.backwardFunc(x, h, w, h1, nil))
	}
	return h1
}

// gruSeq holds the saved buffers of one GRU call; all (N, T, ·) batch-first.
type gruSeq struct {
	n, steps, in, h int
	gi              []float32 // input projections, overwritten by (r, z, n)
	gh              []float32 // hidden projections W_hh·h + b_hh
	hprev           []float32 // h_{t−1} for every step
	dgi, dgh        []float32 // pre-activation gradients, recording only
	dh              []float32 // (N, H) gradient flowing to step t−1, recording only
	wihT, whhT, dT  []float32 // transposed operands for gonum's Gemm (see gonumKernels), else nil
}

// newGRUSeq takes unzeroed projection buffers where the forward pass writes
// all of them (input projection; hidden projection seeded with b_hh).
func newGRUSeq(tp *Tape, n, steps, in, h int, w RNNWeights, record bool) gruSeq {
	s := gruSeq{n: n, steps: steps, in: in, h: h}
	if inputProjWrites(in, w.BIH, nil) {
		s.gi = tp.rawScratch(n * steps * 3 * h)
	} else {
		s.gi = tp.Scratch(n * steps * 3 * h)
	}
	if w.BHH != nil {
		s.gh = tp.rawScratch(n * steps * 3 * h)
	} else {
		s.gh = tp.Scratch(n * steps * 3 * h)
	}
	s.hprev = tp.Scratch(n * steps * h)
	if record {
		s.dgi = tp.rawScratch(n * steps * 3 * h)
		s.dgh = tp.rawScratch(n * steps * 3 * h)
		s.dh = tp.Scratch(n * h)
	}
	if gonumKernels {
		s.wihT = tp.Scratch(in * 3 * h)
		s.whhT = tp.Scratch(h * 3 * h)
		if record {
			s.dT = tp.Scratch(min(n*steps, rnnChunk) * 3 * h)
		}
	}
	return s
}

func (s gruSeq) forward(x, h0 []float32, w RNNWeights, out []float32) {
	if s.n == 0 {
		return
	}
	n, steps, h := s.n, s.steps, s.h
	gh := 3 * h
	rnnInputProj(x, w.WIH.Data, s.wihT, w.BIH, nil, n*steps, s.in, gh, s.gi)
	if s.whhT != nil {
		transpose(s.whhT, w.WHH.Data, gh, h)
	}
	if w.BHH != nil {
		for r := 0; r < n*steps; r++ {
			copy(s.gh[r*gh:(r+1)*gh], w.BHH.Data)
		}
	}
	if h0 != nil {
		for b := 0; b < n; b++ {
			copy(s.hprev[b*steps*h:b*steps*h+h], h0[b*h:(b+1)*h])
		}
	}
	for t := 0; t < steps; t++ {
		if t > 0 || h0 != nil {
			rnnStepGemm(s.hprev, w.WHH.Data, s.whhT, n, t, steps, h, gh, 1, s.gh)
		}
		for b := 0; b < n; b++ {
			row := b*steps + t
			gir := s.gi[row*gh : (row+1)*gh]
			ghr := s.gh[row*gh : (row+1)*gh]
			hp := s.hprev[row*h : (row+1)*h]
			hr := out[row*h : (row+1)*h]
			var hn []float32
			if t+1 < steps {
				hn = s.hprev[(row+1)*h : (row+2)*h]
			}
			rz, ghrz := gir[:2*h], ghr[:2*h]
			for j := range rz {
				rz[j] += ghrz[j]
			}
			sigmoidSlice(rz)
			rs, zs, ns := gir[:h], gir[h:2*h], gir[2*h:3*h]
			ghn := ghr[2*h : 3*h]
			ns, ghn = ns[:len(rs)], ghn[:len(rs)]
			for j, rv := range rs {
				ns[j] += rv * ghn[j]
			}
			tanhSlice(ns, ns)
			zs, hp, hr = zs[:len(ns)], hp[:len(ns)], hr[:len(ns)]
			for j, nv := range ns {
				hr[j] = nv + zs[j]*(hp[j]-nv)
			}
			if hn != nil {
				copy(hn, hr)
			}
		}
	}
}

func (s gruSeq) backwardFunc(x, h0 *Tensor, w RNNWeights, out, hT *Tensor) func() {
	return func() { s.backward(x, h0, w, out, hT) }
}

func (s gruSeq) backward(x, h0 *Tensor, w RNNWeights, out, hT *Tensor) {
	if s.n == 0 {
		return
	}
	n, steps, h := s.n, s.steps, s.h
	gh := 3 * h
	dh := s.dh
	if hT != nil {
		copy(dh, hT.Grad)
	} else {
		clear(dh)
	}
	needH0 := h0 != nil && h0.requiresGrad
	for t := steps - 1; t >= 0; t-- {
		for b := 0; b < n; b++ {
			row := b*steps + t
			gir := s.gi[row*gh : (row+1)*gh]
			ghr := s.gh[row*gh : (row+1)*gh]
			dgir := s.dgi[row*gh : (row+1)*gh]
			dghr := s.dgh[row*gh : (row+1)*gh]
			hp := s.hprev[row*h : (row+1)*h]
			gor := out.Grad[row*h : (row+1)*h]
			dhr := dh[b*h : (b+1)*h]
			rs, zs, ns := gir[:h], gir[h:2*h], gir[2*h:3*h]
			ghn := ghr[2*h : 3*h]
			dir, diz, din := dgir[:h], dgir[h:2*h], dgir[2*h:3*h]
			dhrr, dhz, dhn := dghr[:h], dghr[h:2*h], dghr[2*h:3*h]
			for j := range dhr {
				rv, zv, nv := rs[j], zs[j], ns[j]
				dhv := gor[j] + dhr[j]
				dnp := dhv * (1 - zv) * (1 - nv*nv)
				dzp := dhv * (hp[j] - nv) * zv * (1 - zv)
				drp := dnp * ghn[j] * rv * (1 - rv)
				dir[j], diz[j], din[j] = drp, dzp, dnp
				dhrr[j], dhz[j], dhn[j] = drp, dzp, dnp*rv
				dhr[j] = dhv * zv
			}
		}
		if t > 0 || needH0 {
			a := general(1, 1, nil)
			a.Rows, a.Cols, a.Stride, a.Data = n, gh, steps*gh, s.dgh[t*gh:]
			gemmNN(a, general(gh, h, w.WHH.Data), 1, general(n, h, dh))
		}
	}
	if needH0 {
		for i, v := range dh {
			h0.Grad[i] += v
		}
	}
	rnnParamGrads(x, s.hprev, w, s.dgi, s.dgh, s.dT, n*steps, s.in, h, gh)
}
