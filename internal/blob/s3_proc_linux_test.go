package blob_test

import "syscall"

// serverProcAttr has the kernel kill the test server if the test binary
// dies without stopping it (a timeout, say).
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
