package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// machine describes where the benchmark ran.
type machine struct {
	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	Go         string `json:"go"`
	OS         string `json:"os"`
	// LoadAvg is /proc/loadavg's first three fields before the run, where
	// there is one.
	LoadAvg string `json:"load_avg,omitempty"`
	// FsyncP50 and FsyncP99 are how long a 4 KiB write and fsync took in
	// the benchmark's directory, in milliseconds: every path waits for the
	// disk, so this is the figure to compare machines by.
	FsyncP50 float64 `json:"fsync_p50_ms"`
	FsyncP99 float64 `json:"fsync_p99_ms"`
}

// describe returns the machine, probing the disk under dir.
func describe(dir string) (machine, error) {
	m := machine{
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		NumCPU:     runtime.NumCPU(),
		Go:         runtime.Version(),
		OS:         runtime.GOOS + "/" + runtime.GOARCH,
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	p50, p99, err := probeFsync(dir, 200)
	if err != nil {
		return m, err
	}
	m.FsyncP50, m.FsyncP99 = ms(p50), ms(p99)
	return m, nil
}

// probeFsync times n rounds of overwriting 4 KiB of a file in dir and
// syncing it.
func probeFsync(dir string, n int) (p50, p99 time.Duration, err error) {
	path := filepath.Join(dir, "fsync-probe")
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(path)
	defer f.Close()
	buf := make([]byte, 4096)
	took := make([]time.Duration, 0, n)
	for i := range n {
		t := time.Now()
		if _, err := f.WriteAt(buf, int64(i%16)*4096); err != nil {
			return 0, 0, err
		}
		if err := f.Sync(); err != nil {
			return 0, 0, err
		}
		took = append(took, time.Since(t))
	}
	p50, p99 = quantiles(took)
	return p50, p99, nil
}
