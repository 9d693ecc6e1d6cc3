//go:build unix

package pgtest

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// reaperScript waits for the process $1 to end, then runs the rest of its
// arguments after $2 (a pg_ctl stop) and removes the folder $2.
const reaperScript = `pid=$1 dir=$2; shift 2
while kill -0 "$pid" 2>/dev/null; do sleep 1; done
"$@" >/dev/null 2>&1
rm -rf "$dir"`

// startReaper starts a shell, in a session of its own so that Ctrl-C does
// not reach it, that runs stop and removes dir once this process has
// ended: when a test binary dies on a timeout or a signal, t.Cleanup and
// Run never stop the server, and pg_ctl's postmaster would outlive it. It
// returns nil if the shell does not start.
func startReaper(dir string, stop []string) *os.Process {
	args := append([]string{"-c", reaperScript, "pgtest-reaper", strconv.Itoa(os.Getpid()), dir}, stop...)
	cmd := exec.Command("/bin/sh", args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil
	}
	return cmd.Process
}

// stopReaper ends the shell startReaper started, and its sleep.
func stopReaper(p *os.Process) {
	if p == nil {
		return
	}
	syscall.Kill(-p.Pid, syscall.SIGKILL)
	p.Wait()
}
