//go:build !linux

package blob_test

import "syscall"

// serverProcAttr: only Linux can tie the server's life to the test binary's.
func serverProcAttr() *syscall.SysProcAttr { return nil }
