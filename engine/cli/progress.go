package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"time"
)

// progress shows training progress on stderr from the records that
// train.Fit logs (every 100 steps and at every validation): on a terminal
// one line redrawn in place (step/total, a bar, train and validation loss,
// ETA); otherwise one log line per record. It is a slog.Handler so the
// training loop stays the single source of the numbers.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	total   int
	prefix  string
	start   time.Time
	val     float64
	drawn   bool
	started bool
}

var _ slog.Handler = (*progress)(nil)

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newProgress(w io.Writer, total int) *progress {
	return &progress{w: w, tty: isTerminal(w), total: total, val: math.NaN()}
}

// reset starts a new training run of total steps, labelled prefix.
func (p *progress) reset(prefix string, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prefix, p.total, p.start, p.val, p.started = prefix, total, time.Now(), math.NaN(), true
}

// logger returns the logger to pass to train.Config.
func (p *progress) logger() *slog.Logger { return slog.New(p) }

func (p *progress) Enabled(context.Context, slog.Level) bool { return true }
func (p *progress) WithAttrs([]slog.Attr) slog.Handler       { return p }
func (p *progress) WithGroup(string) slog.Handler            { return p }

func (p *progress) Handle(_ context.Context, r slog.Record) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		p.start, p.started = time.Now(), true
	}
	step, loss := 0, math.NaN()
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "step":
			step = int(a.Value.Int64())
		case "train_loss":
			loss = a.Value.Float64()
		case "val_loss":
			p.val = a.Value.Float64()
		}
		return true
	})
	el := time.Since(p.start)
	eta := time.Duration(0)
	if step > 0 && p.total > step {
		eta = time.Duration(float64(el) / float64(step) * float64(p.total-step))
	}
	val := ""
	if !math.IsNaN(p.val) {
		val = fmt.Sprintf("  val %.5g", p.val)
	}
	if p.tty {
		const width = 24
		done := 0
		if p.total > 0 {
			done = min(width, step*width/p.total)
		}
		bar := strings.Repeat("=", done) + strings.Repeat(" ", width-done)
		fmt.Fprintf(p.w, "\r\x1b[K%sstep %d/%d [%s] loss %.5g%s  ETA %s", p.prefix, step, p.total, bar, loss, val, eta.Round(time.Second))
		p.drawn = true
		return nil
	}
	_, err := fmt.Fprintf(p.w, "%s%s step %d/%d loss %.5g%s elapsed %s eta %s\n", p.prefix, r.Message, step, p.total, loss, val, el.Round(time.Millisecond), eta.Round(time.Second))
	return err
}

// done ends the progress line on a terminal.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
