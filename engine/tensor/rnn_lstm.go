package tensor

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// LSTM runs a single-layer LSTM over a batch-first sequence, as PyTorch's
// nn.LSTM(batch_first=True) with weights w (gate order i, f, g, o):
//
//	(i, f, g, o) = (σ, σ, tanh, σ)(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh)
//	c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)   (h_t = W_hr·(o ⊙ tanh(c_t)) with w.WHR)
//
// x is (N, T, I); h0 is (N, P) and c0 is (N, H), each nil for zeros, where
// P = H unless w.WHR projects the hidden state to P features (proj_size).
// It returns every hidden state out (N, T, P) and the final states hT
// (N, P) and cT (N, H). The input projection of all steps is one Gemm;
// each step adds one Gemm of the hidden projection and a fused gate
// kernel. Backward runs through time and accumulates into x, h0, c0 and the
// weights (the weight gradients are whole-sequence Gemms).
func LSTM(tp *Tape, x, h0, c0 *Tensor, w RNNWeights) (out, hT, cT *Tensor) {
	in, h, p := w.lstmDims("LSTM")
	n, steps := rnnSeqShape("LSTM", x, in, p, h0)
	rnnSeqShape("LSTM", x, in, h, c0)
	out = tp.resultNoZero([]int{n, steps, p}, x, h0, c0, w.WIH, w.WHH, w.BIH, w.BHH, w.WHR)
	hT = tp.resultNoZero([]int{n, p}, x, h0, c0, w.WIH, w.WHH, w.BIH, w.BHH, w.WHR)
	cT = tp.resultNoZero([]int{n, h}, x, h0, c0, w.WIH, w.WHH, w.BIH, w.BHH, w.WHR)
	s := newLSTMSeq(tp, n, steps, in, h, p, inputProjWrites(in, w.BIH, w.BHH), out.requiresGrad)
	s.cs = tp.rawScratch(n * steps * h)
	if w.WHR != nil {
		s.withProjection(tp, out.requiresGrad)
	}
	s.forward(x.Data, stateData(h0), stateData(c0), w, out.Data)
	for b := 0; b < n; b++ {
		last := b*steps + steps - 1
		copy(hT.Data[b*p:(b+1)*p], out.Data[last*p:(last+1)*p])
		copy(cT.Data[b*h:(b+1)*h], s.cs[last*h:(last+1)*h])
	}
	if out.requiresGrad {
		tp.record(s.backwardFunc(x, h0, c0, w, out, hT, cT))
	}
	return out, hT, cT
}

// LSTMCell runs one LSTM step, as PyTorch's nn.LSTMCell (or one step of
// nn.LSTM when w.WHR projects): x is (N, I), h is (N, P) and c is (N, H),
// each nil for zeros; it returns the next h (N, P) and c (N, H).
func LSTMCell(tp *Tape, x, h, c *Tensor, w RNNWeights) (h1, c1 *Tensor) {
	in, hd, p := w.lstmDims("LSTMCell")
	n := rnnCellShape("LSTMCell", x, in, p, h)
	rnnCellShape("LSTMCell", x, in, hd, c)
	h1 = tp.resultNoZero([]int{n, p}, x, h, c, w.WIH, w.WHH, w.BIH, w.BHH, w.WHR)
	c1 = tp.resultNoZero([]int{n, hd}, x, h, c, w.WIH, w.WHH, w.BIH, w.BHH, w.WHR)
	s := newLSTMSeq(tp, n, 1, in, hd, p, inputProjWrites(in, w.BIH, w.BHH), h1.requiresGrad)
	s.cs = c1.Data
	if w.WHR != nil {
		s.withProjection(tp, h1.requiresGrad)
	}
	s.forward(x.Data, stateData(h), stateData(c), w, h1.Data)
	if h1.requiresGrad {
		tp.record(s.backwardFunc(x, h, c, w, h1, nil, c1))
	}
	return h1, c1
}

func stateData(t *Tensor) []float32 {
	if t == nil {
		return nil
	}
	return t.Data
}

// lstmSeq holds the saved buffers of one LSTM call; all (N, T, ·) batch-first.
type lstmSeq struct {
	n, steps, in, h, p int
	g                  []float32 // gate pre-activations, overwritten by activations (i, f, g, o)
	cs                 []float32 // cell states
	hprev              []float32 // h_{t−1} (P features) for every step
	hraw               []float32 // o ⊙ tanh(c) before the projection, with WHR only
	tc                 []float32 // tanh(c_t), recording only
	dg                 []float32 // pre-activation gradients, recording only
	dh, dc             []float32 // (N, P) and (N, H) gradients flowing to step t−1, recording only
	dhs, dhraw         []float32 // projected-state gradients (N, T, P) and (N, H), WHR and recording only
	wihT, whhT, dT     []float32 // transposed operands for gonum's Gemm (see gonumKernels), else nil
	tmp                []float32 // H work row for tanh(c) when not recording
}

// newLSTMSeq takes the gate buffer unzeroed when the input projection
// writes all of it (projWrites).
func newLSTMSeq(tp *Tape, n, steps, in, h, p int, projWrites, record bool) lstmSeq {
	s := lstmSeq{n: n, steps: steps, in: in, h: h, p: p}
	if projWrites {
		s.g = tp.rawScratch(n * steps * 4 * h)
	} else {
		s.g = tp.Scratch(n * steps * 4 * h)
	}
	s.hprev = tp.Scratch(n * steps * p)
	if !record {
		s.tmp = tp.Scratch(h)
	} else {
		s.tc = tp.rawScratch(n * steps * h)
		s.dg = tp.rawScratch(n * steps * 4 * h)
		s.dh = tp.Scratch(n * p)
		s.dc = tp.Scratch(n * h)
	}
	if gonumKernels {
		s.wihT = tp.Scratch(in * 4 * h)
		s.whhT = tp.Scratch(p * 4 * h)
		if record {
			s.dT = tp.Scratch(min(n*steps, rnnChunk) * 4 * h)
		}
	}
	return s
}

// withProjection allocates the projection buffers.
func (s *lstmSeq) withProjection(tp *Tape, record bool) {
	s.hraw = tp.rawScratch(s.n * s.steps * s.h)
	if record {
		s.dhs = tp.rawScratch(s.n * s.steps * s.p)
		s.dhraw = tp.Scratch(s.n * s.h)
	}
}

func (s lstmSeq) forward(x, h0, c0 []float32, w RNNWeights, out []float32) {
	if s.n == 0 {
		return
	}
	n, steps, h, p := s.n, s.steps, s.h, s.p
	gh := 4 * h
	proj := w.WHR != nil
	rnnInputProj(x, w.WIH.Data, s.wihT, w.BIH, w.BHH, n*steps, s.in, gh, s.g)
	if s.whhT != nil {
		transpose(s.whhT, w.WHH.Data, gh, p)
	}
	if h0 != nil {
		for b := 0; b < n; b++ {
			copy(s.hprev[b*steps*p:b*steps*p+p], h0[b*p:(b+1)*p])
		}
	}
	for t := 0; t < steps; t++ {
		if t > 0 || h0 != nil {
			rnnStepGemm(s.hprev, w.WHH.Data, s.whhT, n, t, steps, p, gh, 1, s.g)
		}
		for b := 0; b < n; b++ {
			row := b*steps + t
			gr := s.g[row*gh : (row+1)*gh]
			cr := s.cs[row*h : (row+1)*h]
			var hr []float32
			if proj {
				hr = s.hraw[row*h : (row+1)*h]
			} else {
				hr = out[row*h : (row+1)*h]
			}
			var cp []float32
			if t > 0 {
				cp = s.cs[(row-1)*h : row*h]
			} else if c0 != nil {
				cp = c0[b*h : (b+1)*h]
			}
			var tcr []float32
			if s.tc != nil {
				tcr = s.tc[row*h : (row+1)*h]
			} else {
				tcr = s.tmp[:h]
			}
			sigmoidSlice(gr[:2*h])
			sigmoidSlice(gr[3*h:])
			tanhSlice(gr[2*h:3*h], gr[2*h:3*h])
			ig, fg, gg, og := gr[:h], gr[h:2*h], gr[2*h:3*h], gr[3*h:4*h]
			fg, gg, og = fg[:len(cr)], gg[:len(cr)], og[:len(cr)]
			if cp != nil {
				cp = cp[:len(cr)]
				for j, iv := range ig[:len(cr)] {
					cr[j] = iv*gg[j] + fg[j]*cp[j]
				}
			} else {
				for j, iv := range ig[:len(cr)] {
					cr[j] = iv * gg[j]
				}
			}
			tanhSlice(tcr, cr)
			hr = hr[:len(tcr)]
			for j, tcv := range tcr {
				hr[j] = og[j] * tcv
			}
			if !proj && t+1 < steps {
				copy(s.hprev[(row+1)*h:(row+2)*h], hr)
			}
		}
		if proj {
			// out_t = hraw_t·W_hrᵀ
			a := blas32.General{Rows: n, Cols: h, Stride: steps * h, Data: s.hraw[t*h:]}
			c := blas32.General{Rows: n, Cols: p, Stride: steps * p, Data: out[t*p:]}
			blas32.Gemm(blas.NoTrans, blas.Trans, 1, a, general(p, h, w.WHR.Data), 0, c)
			if t+1 < steps {
				for b := 0; b < n; b++ {
					row := b*steps + t
					copy(s.hprev[(row+1)*p:(row+2)*p], out[row*p:(row+1)*p])
				}
			}
		}
	}
}

// backwardFunc returns the backward step; building the closure here keeps
// the forward path free of heap-captured variables.
func (s lstmSeq) backwardFunc(x, h0, c0 *Tensor, w RNNWeights, out, hT, cT *Tensor) func() {
	return func() { s.backward(x, h0, c0, w, out, hT, cT) }
}

func (s lstmSeq) backward(x, h0, c0 *Tensor, w RNNWeights, out, hT, cT *Tensor) {
	if s.n == 0 {
		return
	}
	n, steps, h, p := s.n, s.steps, s.h, s.p
	gh := 4 * h
	proj := w.WHR != nil
	dh, dc := s.dh, s.dc
	if hT != nil {
		copy(dh, hT.Grad)
	} else {
		clear(dh)
	}
	copy(dc, cT.Grad)
	needH0 := h0 != nil && h0.requiresGrad
	for t := steps - 1; t >= 0; t-- {
		if proj {
			// dhs_t = ∂L/∂out_t + recurrent gradient; ∂L/∂hraw_t = dhs_t·W_hr
			for b := 0; b < n; b++ {
				row := b*steps + t
				d := s.dhs[row*p : (row+1)*p]
				for j, g := range out.Grad[row*p : (row+1)*p] {
					d[j] = g + dh[b*p+j]
				}
			}
			a := blas32.General{Rows: n, Cols: p, Stride: steps * p, Data: s.dhs[t*p:]}
			gemmNN(a, general(p, h, w.WHR.Data), 0, general(n, h, s.dhraw))
		}
		for b := 0; b < n; b++ {
			row := b*steps + t
			gr := s.g[row*gh : (row+1)*gh]
			dgr := s.dg[row*gh : (row+1)*gh]
			tcr := s.tc[row*h : (row+1)*h]
			var gor, dhr []float32 // ∂L/∂h_t = gor + dhr
			if proj {
				gor = s.dhraw[b*h : (b+1)*h]
			} else {
				gor = out.Grad[row*h : (row+1)*h]
				dhr = dh[b*h : (b+1)*h]
			}
			dcr := dc[b*h : (b+1)*h]
			var cp []float32
			if t > 0 {
				cp = s.cs[(row-1)*h : row*h]
			} else if c0 != nil {
				cp = c0.Data[b*h : (b+1)*h]
			}
			ig, fg, gg, og := gr[:h], gr[h:2*h], gr[2*h:3*h], gr[3*h:4*h]
			di, df, dgg, do := dgr[:h], dgr[h:2*h], dgr[2*h:3*h], dgr[3*h:4*h]
			for j := range tcr {
				iv, fv, gv, ov, tcv := ig[j], fg[j], gg[j], og[j], tcr[j]
				dhv := gor[j]
				if dhr != nil {
					dhv += dhr[j]
				}
				dcv := dcr[j] + dhv*ov*(1-tcv*tcv)
				do[j] = dhv * tcv * ov * (1 - ov)
				di[j] = dcv * gv * iv * (1 - iv)
				dgg[j] = dcv * iv * (1 - gv*gv)
				if cp != nil {
					df[j] = dcv * cp[j] * fv * (1 - fv)
				} else {
					df[j] = 0
				}
				dcr[j] = dcv * fv
			}
		}
		if t > 0 || needH0 {
			a := blas32.General{Rows: n, Cols: gh, Stride: steps * gh, Data: s.dg[t*gh:]}
			gemmNN(a, general(gh, p, w.WHH.Data), 0, general(n, p, dh))
		}
	}
	if needH0 {
		for i, v := range dh {
			h0.Grad[i] += v
		}
	}
	if c0 != nil && c0.requiresGrad {
		for i, v := range dc {
			c0.Grad[i] += v
		}
	}
	rows := n * steps
	if proj && w.WHR.requiresGrad {
		blas32.Gemm(blas.Trans, blas.NoTrans, 1, general(rows, p, s.dhs), general(rows, h, s.hraw), 1, general(p, h, w.WHR.Grad))
	}
	rnnParamGrads(x, s.hprev, w, s.dg, s.dg, s.dT, rows, s.in, p, gh)
}
