package lifecycle

import "syscall"

// lowerPriority adds inc to the process's niceness (best effort: failing
// to lower one's own priority only costs isolation).
func lowerPriority(inc int) {
	cur, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		return
	}
	// The raw syscall returns 20 − nice on Linux.
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, min(19, 20-cur+inc))
}
