package tensor

// ElmanRNN runs a single-layer Elman RNN over a batch-first sequence, as
// PyTorch's nn.RNN(batch_first=True, nonlinearity='tanh' or 'relu'):
//
//	h_t = act(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh)
//
// with act = tanh, or ReLU when relu is set. x is (N, T, I); h0 is (N, H) or
// nil for zeros; w holds (H, I), (H, H) weights and (H) biases (or nil). It
// returns every hidden state out (N, T, H) and the final state hT (N, H).
// The structure (one input Gemm, one Gemm per step, BPTT with
// whole-sequence weight gradients) is that of LSTM.
func ElmanRNN(tp *Tape, x, h0 *Tensor, w RNNWeights, relu bool) (out, hT *Tensor) {
	in, h := w.dims("ElmanRNN", 1)
	n, steps := rnnSeqShape("ElmanRNN", x, in, h, h0)
	out = tp.resultNoZero([]int{n, steps, h}, x, h0, w.WIH, w.WHH, w.BIH, w.BHH)
	hT = tp.resultNoZero([]int{n, h}, x, h0, w.WIH, w.WHH, w.BIH, w.BHH)
	s := newElmanSeq(tp, n, steps, in, h, relu, inputProjWrites(in, w.BIH, w.BHH), out.requiresGrad)
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

// ElmanRNNCell runs one Elman RNN step, as PyTorch's nn.RNNCell: x is
// (N, I), h is (N, H) or nil for zeros; it returns the next h (N, H).
func ElmanRNNCell(tp *Tape, x, h *Tensor, w RNNWeights, relu bool) *Tensor {
	in, hd := w.dims("ElmanRNNCell", 1)
	n := rnnCellShape("ElmanRNNCell", x, in, hd, h)
	h1 := tp.resultNoZero([]int{n, hd}, x, h, w.WIH, w.WHH, w.BIH, w.BHH)
	s := newElmanSeq(tp, n, 1, in, hd, relu, inputProjWrites(in, w.BIH, w.BHH), h1.requiresGrad)
	s.forward(x.Data, stateData(h), w, h1.Data)
	if h1.requiresGrad {
		tp.record(s.backwardFunc(x, h, w, h1, nil))
	}
	return h1
}

// elmanSeq holds the saved buffers of one Elman RNN call, (N, T, ·) batch-first.
type elmanSeq struct {
	n, steps, in, h int
	relu            bool
	g               []float32 // pre-activations
	hprev           []float32 // h_{t−1} for every step
	dg              []float32 // pre-activation gradients, recording only
	dh              []float32 // (N, H) gradient flowing to step t−1, recording only
	wihT, whhT, dT  []float32 // transposed operands for gonum's Gemm (see gonumKernels), else nil
}

func newElmanSeq(tp *Tape, n, steps, in, h int, relu, projWrites, record bool) elmanSeq {
	s := elmanSeq{n: n, steps: steps, in: in, h: h, relu: relu}
	if projWrites {
		s.g = tp.rawScratch(n * steps * h)
	} else {
		s.g = tp.Scratch(n * steps * h)
	}
	s.hprev = tp.Scratch(n * steps * h)
	if record {
		s.dg = tp.rawScratch(n * steps * h)
		s.dh = tp.Scratch(n * h)
	}
	if gonumKernels {
		s.wihT = tp.Scratch(in * h)
		s.whhT = tp.Scratch(h * h)
		if record {
			s.dT = tp.Scratch(min(n*steps, rnnChunk) * h)
		}
	}
	return s
}

func (s elmanSeq) forward(x, h0 []float32, w RNNWeights, out []float32) {
	if s.n == 0 {
		return
	}
	n, steps, h := s.n, s.steps, s.h
	rnnInputProj(x, w.WIH.Data, s.wihT, w.BIH, w.BHH, n*steps, s.in, h, s.g)
	if s.whhT != nil {
		transpose(s.whhT, w.WHH.Data, h, h)
	}
	if h0 != nil {
		for b := 0; b < n; b++ {
			copy(s.hprev[b*steps*h:b*steps*h+h], h0[b*h:(b+1)*h])
		}
	}
	for t := 0; t < steps; t++ {
		if t > 0 || h0 != nil {
			rnnStepGemm(s.hprev, w.WHH.Data, s.whhT, n, t, steps, h, h, 1, s.g)
		}
		for b := 0; b < n; b++ {
			row := b*steps + t
			gr := s.g[row*h : (row+1)*h]
			hr := out[row*h : (row+1)*h]
			if s.relu {
				for j, v := range gr {
					hr[j] = max(v, 0)
				}
			} else {
				tanhSlice(hr, gr)
			}
			if t+1 < steps {
				copy(s.hprev[(row+1)*h:(row+2)*h], hr)
			}
		}
	}
}

func (s elmanSeq) backwardFunc(x, h0 *Tensor, w RNNWeights, out, hT *Tensor) func() {
	return func() { s.backward(x, h0, w, out, hT) }
}

func (s elmanSeq) backward(x, h0 *Tensor, w RNNWeights, out, hT *Tensor) {
	if s.n == 0 {
		return
	}
	n, steps, h := s.n, s.steps, s.h
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
			hr := out.Data[row*h : (row+1)*h]
			gor := out.Grad[row*h : (row+1)*h]
			dgr := s.dg[row*h : (row+1)*h]
			dhr := dh[b*h : (b+1)*h]
			gor, dgr = gor[:len(hr)], dgr[:len(hr)]
			for j, hv := range hr {
				d := gor[j] + dhr[j]
				if s.relu {
					if hv <= 0 {
						d = 0
					}
				} else {
					d *= 1 - hv*hv
				}
				dgr[j] = d
			}
		}
		if t > 0 || needH0 {
			a := general(1, 1, nil)
			a.Rows, a.Cols, a.Stride, a.Data = n, h, steps*h, s.dg[t*h:]
			gemmNN(a, general(h, h, w.WHH.Data), 0, general(n, h, dh))
		}
	}
	if needH0 {
		for i, v := range dh {
			h0.Grad[i] += v
		}
	}
	rnnParamGrads(x, s.hprev, w, s.dg, s.dg, s.dT, n*steps, s.in, h, h)
}
