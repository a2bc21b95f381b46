package lifecycle

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// WorkerEnv is the environment variable that turns a streamcast binary
// (or a test binary calling MaybeServeWorker from TestMain) into a
// training worker: with WorkerEnv=1 it reads one request on stdin, trains,
// writes the result on stdout and exits.
const WorkerEnv = "STREAMCAST_TRAIN_WORKER"

// ProcessFitter trains in a child process (the same binary in worker
// mode): its CPU is bounded by GOMAXPROCS = Threads and it runs at a lower
// scheduling priority (Nice), so the serving process keeps its cores and
// latency; a crash or a runaway training cannot take the server down, and
// a timeout kills it outright.
type ProcessFitter struct {
	// Path is the binary to run (default: os.Executable()).
	Path string
	// Args are its arguments (default none: WorkerEnv selects the mode).
	Args []string
	// Threads is the worker's GOMAXPROCS (default 1).
	Threads int
	// Nice is the niceness of the worker's threads (default 19, the
	// lowest priority; negative: leave it). Linux only.
	Nice int
	// Idle runs the worker under SCHED_IDLE: it gets CPU only when no
	// normally scheduled thread wants it (serving latency is then
	// untouched, but a saturated machine may starve the training into its
	// timeout). Linux only.
	Idle bool
}

var _ Fitter = (*ProcessFitter)(nil)

type workerRequest struct {
	Req     FitRequest
	Threads int
	Nice    int
	Idle    bool
}

type workerResponse struct {
	Res  *FitResult
	Err  string
	Kind string // "diverged", "exploding", "timeout" or ""
}

// Fit implements Fitter: ctx's deadline or cancellation kills the worker.
func (p *ProcessFitter) Fit(ctx context.Context, req *FitRequest) (*FitResult, error) {
	path := p.Path
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("lifecycle: training worker: %w", err)
		}
		path = exe
	}
	threads := p.Threads
	if threads <= 0 {
		threads = 1
	}
	nice := p.Nice
	if nice == 0 {
		nice = 19
	}
	var in bytes.Buffer
	if err := gob.NewEncoder(&in).Encode(workerRequest{Req: *req, Threads: threads, Nice: nice, Idle: p.Idle}); err != nil {
		return nil, fmt.Errorf("lifecycle: encode training request: %w", err)
	}
	cmd := exec.CommandContext(ctx, path, p.Args...)
	cmd.Env = append(os.Environ(), WorkerEnv+"=1", fmt.Sprintf("GOMAXPROCS=%d", threads))
	cmd.Stdin = &in
	var out bytes.Buffer
	stderr := &tailBuffer{max: 4096}
	cmd.Stdout, cmd.Stderr = &out, stderr
	cmd.WaitDelay = 2 * time.Second
	if nice > 0 || p.Idle {
		ownSession(cmd)
	}
	err := cmd.Run()
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: worker killed at the deadline", ErrTimeout)
		}
		return nil, fmt.Errorf("lifecycle: training worker stopped: %w", context.Cause(ctx))
	}
	if err != nil {
		return nil, fmt.Errorf("lifecycle: training worker: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var resp workerResponse
	if err := gob.NewDecoder(&out).Decode(&resp); err != nil {
		return nil, fmt.Errorf("lifecycle: training worker reply: %w", err)
	}
	if resp.Err != "" {
		switch resp.Kind {
		case "diverged":
			return nil, fmt.Errorf("%w (worker: %s)", ErrDiverged, resp.Err)
		case "exploding":
			return nil, fmt.Errorf("%w (worker: %s)", ErrExploding, resp.Err)
		case "timeout":
			return nil, fmt.Errorf("%w (worker: %s)", ErrTimeout, resp.Err)
		}
		return nil, fmt.Errorf("lifecycle: training worker: %s", resp.Err)
	}
	if resp.Res == nil {
		return nil, errors.New("lifecycle: training worker returned no result")
	}
	return resp.Res, nil
}

// MaybeServeWorker serves one training request and exits the process when
// WorkerEnv=1; otherwise it returns at once. Call it first in main (and in
// TestMain of tests that use ProcessFitter with the test binary).
func MaybeServeWorker() {
	if os.Getenv(WorkerEnv) != "1" {
		return
	}
	if err := ServeWorker(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "streamcast training worker:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// ServeWorker reads one request from r, trains and writes the response to
// w. Training failures are part of the response; the error is for I/O.
func ServeWorker(ctx context.Context, r io.Reader, w io.Writer) error {
	var req workerRequest
	if err := gob.NewDecoder(r).Decode(&req); err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	if req.Threads > 0 {
		runtime.GOMAXPROCS(req.Threads)
	}
	if req.Nice > 0 || req.Idle {
		lowerPriority(req.Nice, req.Idle)
	}
	res, err := fit(ctx, &req.Req)
	resp := workerResponse{Res: res}
	if err != nil {
		resp.Res, resp.Err = nil, err.Error()
		switch {
		case errors.Is(err, ErrDiverged):
			resp.Kind = "diverged"
		case errors.Is(err, ErrExploding):
			resp.Kind = "exploding"
		case errors.Is(err, ErrTimeout):
			resp.Kind = "timeout"
		}
	}
	if err := gob.NewEncoder(w).Encode(resp); err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	return nil
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }
