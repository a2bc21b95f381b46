package pipeline

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// tcpProxy forwards connections to a target and can cut them all.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() { ln.Close(); p.cut(); p.wg.Wait() })
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[u] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, u)
		go p.pipe(u, c)
	}
}

func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// cut closes every connection and refuses new ones until restore.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}

func (p *tcpProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// TestRedisOutage: Redis is cut for ~2.5 s mid-stream. The pipeline retries
// with backoff, commits nothing it has not finished, and recovers without
// loss: state equals the offline recomputation, every forecast exists.
func TestRedisOutage(t *testing.T) {
	const series = 40
	e := newTestEnv(t, 3)
	proxy := newTCPProxy(t, testRedisAddr())
	cfg := e.config()
	cfg.Redis = []string{proxy.addr()}
	cfg.MaxBatch = 20
	e.produce(observations(series, 0, 5))
	in := e.start(cfg, Options{})
	waitFor(t, 30*time.Second, "first part handled", func() bool { return in.handled() >= series*5 })
	before := in.handled()

	proxy.cut()
	e.produce(observations(series, 5, 5))
	time.Sleep(2500 * time.Millisecond)
	var committed int64
	for _, o := range e.committed() {
		committed += max(o, 0)
	}
	if committed > in.handled() {
		t.Fatalf("committed %d > handled %d during the outage", committed, in.handled())
	}
	if in.handled() != before {
		t.Fatalf("handled grew from %d to %d while Redis was down", before, in.handled())
	}
	proxy.restore()
	waitFor(t, 30*time.Second, "recovery", func() bool { return in.handled() >= series*10 })
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	if r := testutil.ToFloat64(in.p.metrics.Retries.WithLabelValues("redis")); r == 0 {
		t.Fatal("no transient Redis failure recorded")
	}
	input := e.readTopic(tIn)
	obs := inputObservations(t, input)
	checkForecasts(t, obs, decodeForecasts(t, e.readTopic(tOut)), in.p.Model().Name(), in.p.Model().Version())
	e.checkState(cfg, obs)
	assertCommittedAll(t, e, input)
}
