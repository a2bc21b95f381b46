package tensor

// LSTM runs a single-layer LSTM over a batch-first sequence, as PyTorch's
// nn.LSTM(batch_first=True) with weights w (gate order i, f, g, o):
//
//	(i, f, g, o) = (σ, σ, tanh, σ)(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh)
//	c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
//
// x is (N, T, I); h0 and c0 are (N, H) or nil for zeros. It returns every
// hidden state out (N, T, H) and the final states hT, cT (N, H). The input
// projection of all steps is one Gemm; each step adds one Gemm of the
// hidden projection and a fused gate kernel. Backward runs through time and
// accumulates into x, h0, c0 and the weights (all weight gradients are three
// Gemms over the whole sequence).
func LSTM(tp *Tape, x, h0, c0 *Tensor, w RNNWeights) (out, hT, cT *Tensor) {
	in, h := w.dims("LSTM", 4)
	n, steps := rnnSeqShape("LSTM", x, in, h, h0, c0)
	out = tp.Result([]int{n, steps, h}, x, h0, c0, w.WIH, w.WHH, w.BIH, w.BHH)
	hT = tp.Result([]int{n, h}, x, h0, c0, w.WIH, w.WHH, w.BIH, w.BHH)
	cT = tp.Result([]int{n, h}, x, h0, c0, w.WIH, w.WHH, w.BIH, w.BHH)
	s := newLSTMSeq(tp, n, steps, in, h, out.requiresGrad)
	s.cs = tp.Scratch(n * steps * h)
	s.forward(x.Data, stateData(h0), stateData(c0), w, out.Data)
	for b := 0; b < n; b++ {
		last := (b*steps + steps - 1) * h
		copy(hT.Data[b*h:(b+1)*h], out.Data[last:last+h])
		copy(cT.Data[b*h:(b+1)*h], s.cs[last:last+h])
	}
	if out.requiresGrad {
		tp.record(s.backwardFunc(x, h0, c0, w, out, hT, cT))
	}
	return out, hT, cT
}

// LSTMCell runs one LSTM step, as PyTorch's nn.LSTMCell: x is (N, I), h and
// c are (N, H) or nil for zeros; it returns the next (h, c), both (N, H).
func LSTMCell(tp *Tape, x, h, c *Tensor, w RNNWeights) (h1, c1 *Tensor) {
	in, hd := w.dims("LSTMCell", 4)
	n := rnnCellShape("LSTMCell", x, in, hd, h, c)
	h1 = tp.Result([]int{n, hd}, x, h, c, w.WIH, w.WHH, w.BIH, w.BHH)
	c1 = tp.Result([]int{n, hd}, x, h, c, w.WIH, w.WHH, w.BIH, w.BHH)
	s := newLSTMSeq(tp, n, 1, in, hd, h1.requiresGrad)
	s.cs = c1.Data
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
	n, steps, in, h int
	g               []float32 // gate pre-activations, overwritten by activations (i, f, g, o)
	cs              []float32 // cell states
	hprev           []float32 // h_{t−1} for every step
	tc              []float32 // tanh(c_t), recording only
	dg              []float32 // pre-activation gradients, recording only
	dh, dc          []float32 // (N, H) gradients flowing to step t−1, recording only
	wihT, whhT, dT  []float32 // transposed operands for gonum's Gemm (see rnnTransposed), else nil
	tmp             []float32 // H work row for tanh(c) when not recording
}

func newLSTMSeq(tp *Tape, n, steps, in, h int, record bool) lstmSeq {
	s := lstmSeq{n: n, steps: steps, in: in, h: h}
	s.g = tp.Scratch(n * steps * 4 * h)
	s.hprev = tp.Scratch(n * steps * h)
	if !record {
		s.tmp = tp.Scratch(h)
	}
	if record {
		s.tc = tp.Scratch(n * steps * h)
		s.dg = tp.Scratch(n * steps * 4 * h)
		s.dh = tp.Scratch(n * h)
		s.dc = tp.Scratch(n * h)
	}
	if rnnTransposed {
		s.wihT = tp.Scratch(in * 4 * h)
		s.whhT = tp.Scratch(h * 4 * h)
		if record {
			s.dT = tp.Scratch(min(n*steps, rnnChunk) * 4 * h)
		}
	}
	return s
}

func (s lstmSeq) forward(x, h0, c0 []float32, w RNNWeights, out []float32) {
	if s.n == 0 {
		return
	}
	n, steps, h := s.n, s.steps, s.h
	gh := 4 * h
	rnnInputProj(x, w.WIH.Data, s.wihT, w.BIH, w.BHH, n*steps, s.in, gh, s.g)
	if s.whhT != nil {
		transpose(s.whhT, w.WHH.Data, gh, h)
	}
	if h0 != nil {
		for b := 0; b < n; b++ {
			copy(s.hprev[b*steps*h:b*steps*h+h], h0[b*h:(b+1)*h])
		}
	}
	for t := 0; t < steps; t++ {
		if t > 0 || h0 != nil {
			rnnStepGemm(s.hprev, w.WHH.Data, s.whhT, n, t, steps, h, gh, 1, s.g)
		}
		for b := 0; b < n; b++ {
			row := b*steps + t
			gr := s.g[row*gh : (row+1)*gh]
			cr := s.cs[row*h : (row+1)*h]
			hr := out[row*h : (row+1)*h]
			var cp []float32
			if t > 0 {
				cp = s.cs[(row-1)*h : row*h]
			} else if c0 != nil {
				cp = c0[b*h : (b+1)*h]
			}
			var tcr []float32
			if s.tc != nil {
				tcr = s.tc[row*h : (row+1)*h]
			}
			var hn []float32
			if t+1 < steps {
				hn = s.hprev[(row+1)*h : (row+2)*h]
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
			if tcr == nil {
				tcr = s.tmp[:h]
			}
			tanhSlice(tcr, cr)
			for j, tcv := range tcr {
				hr[j] = og[j] * tcv
			}
			if hn != nil {
				copy(hn, hr)
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
	n, steps, h := s.n, s.steps, s.h
	gh := 4 * h
	dh, dc := s.dh, s.dc
	if hT != nil {
		copy(dh, hT.Grad)
	} else {
		clear(dh)
	}
	copy(dc, cT.Grad)
	needH0 := h0 != nil && h0.requiresGrad
	for t := steps - 1; t >= 0; t-- {
		for b := 0; b < n; b++ {
			row := b*steps + t
			gr := s.g[row*gh : (row+1)*gh]
			dgr := s.dg[row*gh : (row+1)*gh]
			tcr := s.tc[row*h : (row+1)*h]
			gor := out.Grad[row*h : (row+1)*h]
			dhr := dh[b*h : (b+1)*h]
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
				dhv := gor[j] + dhr[j]
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
			a := general(1, 1, nil)
			a.Rows, a.Cols, a.Stride, a.Data = n, gh, steps*gh, s.dg[t*gh:]
			gemmNN(a, general(gh, h, w.WHH.Data), 0, general(n, h, dh))
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
	rnnParamGrads(x, s.hprev, w, s.dg, s.dg, s.dT, n*steps, s.in, h, gh)
}
