//go:build !unix

package config

import "os/exec"

// killProcessGroup leaves cancellation to exec.CommandContext, which kills
// only the shell itself.
// NOTE: on Windows, children of cmd /C survive a timeout; a job object would
// be needed to end them too.
func killProcessGroup(cmd *exec.Cmd) {}
