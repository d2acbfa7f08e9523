//go:build unix

package config

import (
	"os/exec"
	"syscall"
)

// killProcessGroup makes cancelling cmd kill the shell and everything it
// started, so a pipeline such as `sleep 60 | cat` cannot outlive the timeout.
func killProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
