package lifecycle

import (
	"os/exec"
	"syscall"
)

// ownSession starts cmd in a new session (its own scheduling autogroup,
// see lowerPriority).
func ownSession(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
