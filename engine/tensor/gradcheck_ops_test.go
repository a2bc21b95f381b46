package tensor

import "testing"

// gradCase is a GradCheck table entry.
type gradCase struct {
	name   string
	f      func(tp *Tape, in []*Tensor) *Tensor
	inputs []*Tensor
	opt    GradCheckOptions
}

func runGradCases(t *testing.T, cases []gradCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := GradCheck(c.f, c.inputs, c.opt); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// positive returns a trainable tensor with values in [lo, lo+|N(0,1)|].
func positive(seed uint64, lo float32, shape ...int) *Tensor {
	t := RandN(seed, shape...)
	for i, v := range t.Data {
		if v < 0 {
			v = -v
		}
		t.Data[i] = v + lo
	}
	t.SetRequiresGrad(true)
	return t
}

func mulData(x *Tensor, s float32) *Tensor {
	for i := range x.Data {
		x.Data[i] *= s
	}
	return x
}

func bin2(f func(*Tape, *Tensor, *Tensor) *Tensor) func(*Tape, []*Tensor) *Tensor {
	return func(tp *Tape, in []*Tensor) *Tensor { return f(tp, in[0], in[1]) }
}

func un1(f func(*Tape, *Tensor) *Tensor) func(*Tape, []*Tensor) *Tensor {
	return func(tp *Tape, in []*Tensor) *Tensor { return f(tp, in[0]) }
}

func TestGradElementwise(t *testing.T) {
	var cases []gradCase
	shapes := [][2][]int{
		{{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {4}}, {{2, 3, 4}, {2, 3, 1}},
		{{3, 1}, {1, 4}}, {{1, 3, 1}, {2, 1, 5}}, {{4}, {2, 3, 4}},
	}
	for i, s := range shapes {
		for _, op := range []struct {
			name string
			f    func(*Tape, *Tensor, *Tensor) *Tensor
		}{{"Add", Add}, {"Sub", Sub}, {"Mul", Mul}, {"Div", Div}} {
			b := param(uint64(101+i), s[1]...)
			if op.name == "Div" {
				b = positive(uint64(101+i), 0.5, s[1]...)
			}
			cases = append(cases, gradCase{name: op.name + string(rune('0'+i)), f: bin2(op.f),
				inputs: []*Tensor{param(uint64(90+i), s[0]...), b}})
		}
	}
	cases = append(cases,
		gradCase{name: "AddScalar", f: func(tp *Tape, in []*Tensor) *Tensor { return AddScalar(tp, in[0], 2) },
			inputs: []*Tensor{param(1, 3, 4)}},
		gradCase{name: "MulScalar", f: func(tp *Tape, in []*Tensor) *Tensor { return MulScalar(tp, in[0], -3) },
			inputs: []*Tensor{param(2, 3, 4)}},
		gradCase{name: "Neg", f: un1(Neg), inputs: []*Tensor{param(3, 3, 4)}},
		gradCase{name: "BroadcastTo", f: func(tp *Tape, in []*Tensor) *Tensor { return BroadcastTo(tp, in[0], 2, 3, 4) },
			inputs: []*Tensor{param(4, 3, 1)}},
		gradCase{name: "SameInputTwice", f: func(tp *Tape, in []*Tensor) *Tensor { return Mul(tp, in[0], in[0]) },
			inputs: []*Tensor{param(5, 3, 4)}},
	)
	runGradCases(t, cases)
}

func TestGradUnary(t *testing.T) {
	runGradCases(t, []gradCase{
		{name: "Exp", f: un1(Exp), inputs: []*Tensor{param(1, 3, 4)}},
		{name: "Log", f: un1(Log), inputs: []*Tensor{positive(2, 0.5, 3, 4)}},
		{name: "Sqrt", f: un1(Sqrt), inputs: []*Tensor{positive(3, 0.5, 3, 4)}},
		{name: "Abs", f: un1(Abs), inputs: []*Tensor{awayFromZero(param(4, 3, 4))}},
		{name: "Pow2", f: func(tp *Tape, in []*Tensor) *Tensor { return Pow(tp, in[0], 2) }, inputs: []*Tensor{param(5, 3, 4)}},
		{name: "Pow1.5", f: func(tp *Tape, in []*Tensor) *Tensor { return Pow(tp, in[0], 1.5) }, inputs: []*Tensor{positive(6, 0.5, 3, 4)}},
		{name: "PowNeg", f: func(tp *Tape, in []*Tensor) *Tensor { return Pow(tp, in[0], -2) }, inputs: []*Tensor{positive(7, 0.5, 3, 4)}},
		{name: "Tanh", f: un1(Tanh), inputs: []*Tensor{param(8, 3, 4)}},
		{name: "Sigmoid", f: un1(Sigmoid), inputs: []*Tensor{mulData(param(9, 3, 4), 3)}},
		{name: "GELU", f: un1(GELU), inputs: []*Tensor{mulData(param(10, 3, 4), 2)}},
		{name: "GELUTanh", f: un1(GELUTanh), inputs: []*Tensor{mulData(param(11, 3, 4), 2)}},
		{name: "ELU", f: func(tp *Tape, in []*Tensor) *Tensor { return ELU(tp, in[0], 0.7) }, inputs: []*Tensor{awayFromZero(param(12, 3, 4))}},
		{name: "Softplus", f: func(tp *Tape, in []*Tensor) *Tensor { return Softplus(tp, in[0], 1, 20) }, inputs: []*Tensor{mulData(param(13, 3, 4), 3)}},
		{name: "SoftplusBeta", f: func(tp *Tape, in []*Tensor) *Tensor { return Softplus(tp, in[0], 2, 3) }, inputs: []*Tensor{mulData(param(14, 3, 4), 3)}},
	})
}

func TestGradReduce(t *testing.T) {
	var cases []gradCase
	for axis := -1; axis < 3; axis++ {
		for _, keep := range []bool{false, true} {
			a, k := axis, keep
			sfx := string(rune('0'+axis+1)) + map[bool]string{false: "", true: "k"}[keep]
			cases = append(cases,
				gradCase{name: "Sum" + sfx, f: func(tp *Tape, in []*Tensor) *Tensor { return Sum(tp, in[0], a, k) },
					inputs: []*Tensor{param(20, 3, 4, 5)}},
				gradCase{name: "Mean" + sfx, f: func(tp *Tape, in []*Tensor) *Tensor { return Mean(tp, in[0], a, k) },
					inputs: []*Tensor{param(21, 3, 4, 5)}},
				gradCase{name: "Max" + sfx, f: func(tp *Tape, in []*Tensor) *Tensor { return Max(tp, in[0], a, k) },
					inputs: []*Tensor{spread(param(22, 3, 4, 5))}},
			)
		}
	}
	for axis := 0; axis < 3; axis++ {
		a := axis
		cases = append(cases,
			gradCase{name: "Softmax" + string(rune('0'+axis)), f: func(tp *Tape, in []*Tensor) *Tensor { return Softmax(tp, in[0], a) },
				inputs: []*Tensor{param(23, 3, 4, 5)}},
			gradCase{name: "LogSoftmax" + string(rune('0'+axis)), f: func(tp *Tape, in []*Tensor) *Tensor { return LogSoftmax(tp, in[0], a) },
				inputs: []*Tensor{param(24, 3, 4, 5)}},
		)
	}
	cases = append(cases,
		gradCase{name: "SumAll", f: un1(SumAll), inputs: []*Tensor{param(25, 3, 4)}},
		gradCase{name: "MeanAll", f: un1(MeanAll), inputs: []*Tensor{param(26, 3, 4)}},
	)
	runGradCases(t, cases)
}

// spread replaces x's values by a shuffled arithmetic progression with gaps
// of 0.1, so no two values are within GradCheck's step of each other.
func spread(x *Tensor) *Tensor {
	n := len(x.Data)
	for i := range x.Data {
		x.Data[i] = float32((i*7919)%n)*0.1 - float32(n)*0.05
	}
	return x
}
