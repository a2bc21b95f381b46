package train

import (
	"runtime"

	"github.com/streamcast/streamcast/engine/optim"
	"github.com/streamcast/streamcast/engine/tensor"
)

// shardedAdam runs Adam over contiguous element ranges of the parameters
// in parallel: the parameters are cut into views of balanced size (a view
// aliases the Data and Grad of its parameter), each shard has its own
// optim.Adam and StepLR over its views, and a step updates the shards on
// separate goroutines. Adam is elementwise, so the result is identical to
// one Adam over the whole parameters. Persistent helper goroutines and
// reused channels keep a step allocation-free.
type shardedAdam struct {
	opts   []*optim.Adam
	scheds []*optim.StepLR
	work   []chan int // per helper shard: 0 = step, 1 = zero grads
	done   chan struct{}
}

// minShard is the smallest number of elements worth a goroutine.
const minShard = 1 << 16

func newShardedAdam(params []*tensor.Tensor, cfg optim.AdamConfig, maxSteps, numLRDecays int) (*shardedAdam, error) {
	total := 0
	for _, p := range params {
		total += len(p.Data)
	}
	n := max(1, min(runtime.GOMAXPROCS(0), total/minShard))
	per := (total + n - 1) / n
	shards := make([][]*tensor.Tensor, n)
	s, fill := 0, 0
	for _, p := range params {
		for off := 0; off < len(p.Data); {
			take := min(len(p.Data)-off, per-fill)
			if take == len(p.Data) {
				shards[s] = append(shards[s], p)
			} else {
				v := tensor.FromSlice(p.Data[off:off+take], take)
				v.Grad = p.Grad[off : off+take]
				v.SetRequiresGrad(true)
				shards[s] = append(shards[s], v)
			}
			off += take
			fill += take
			if fill == per && s < n-1 {
				s, fill = s+1, 0
			}
		}
	}
	sa := &shardedAdam{done: make(chan struct{})}
	for _, sh := range shards {
		if len(sh) == 0 {
			continue
		}
		o, err := optim.NewAdam(sh, cfg)
		if err != nil {
			return nil, err
		}
		sc, err := optim.NewNFStepLR(o, maxSteps, numLRDecays)
		if err != nil {
			return nil, err
		}
		sa.opts = append(sa.opts, o)
		sa.scheds = append(sa.scheds, sc)
	}
	for i := 1; i < len(sa.opts); i++ {
		ch := make(chan int)
		sa.work = append(sa.work, ch)
		go sa.helper(i, ch)
	}
	return sa, nil
}

func (sa *shardedAdam) helper(i int, ch chan int) {
	for op := range ch {
		sa.do(i, op)
		sa.done <- struct{}{}
	}
}

func (sa *shardedAdam) do(i, op int) {
	if op == 0 {
		sa.opts[i].Step()
		sa.scheds[i].Step()
	} else {
		sa.opts[i].ZeroGrad()
	}
}

func (sa *shardedAdam) run(op int) {
	for _, ch := range sa.work {
		ch <- op
	}
	sa.do(0, op)
	for range sa.work {
		<-sa.done
	}
}

// Step applies one Adam update and advances the learning-rate schedule.
func (sa *shardedAdam) Step() { sa.run(0) }

// ZeroGrad clears every gradient.
func (sa *shardedAdam) ZeroGrad() { sa.run(1) }

// LR returns the current learning rate.
func (sa *shardedAdam) LR() float64 { return sa.opts[0].LR() }

// close stops the helper goroutines.
func (sa *shardedAdam) close() {
	for _, ch := range sa.work {
		close(ch)
	}
	sa.work = nil
}
