package lifecycle

import (
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// lowerPriority lowers the CPU priority of every thread of the process
// (best effort: failing costs isolation only). On Linux niceness and
// scheduling policy are per thread, and a new thread inherits them from
// the thread that creates it, so changing every existing thread covers
// the threads the Go runtime starts later too.
//
// nice is the niceness to reach (at least the current one); idle also
// switches to SCHED_IDLE, under which the threads run only when no
// normal thread wants the CPU.
func lowerPriority(nice int, idle bool) {
	// With autogroup scheduling (sched_autogroup_enabled, the default on
	// desktop kernels) CPU time is first shared between sessions, and
	// niceness only ranks threads within one: a nice-19 worker in the
	// server's session would still spend the session's share and delay the
	// server behind every other session. ProcessFitter starts the worker in
	// a session of its own; lowering that session's autogroup makes the
	// whole worker count for little against every other session.
	if nice > 0 {
		_ = os.WriteFile("/proc/self/autogroup", []byte(strconv.Itoa(min(nice, 19))), 0)
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if nice > 0 {
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(nice, 19))
		}
		if idle {
			_ = unix.SchedSetAttr(tid, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}, 0)
		}
	}
}
