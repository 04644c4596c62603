package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// The aims the benchmark checks Vigil's path against.
const (
	aimRatio = 1.0    // Vigil's rate over bare Tessera's with its defaults
	aimRate  = 5000.0 // events per second
	aimP50   = 1000.0 // milliseconds from commit to checkpoint
)

// aim is one target and whether the run met it.
type aim struct {
	What string  `json:"what"`
	Want string  `json:"want"`
	Got  float64 `json:"got"`
	Met  bool    `json:"met"`
}

// report is the whole run.
type report struct {
	Machine machine  `json:"machine"`
	Dir     string   `json:"dir"`
	Events  int      `json:"events"`
	Writers int      `json:"writers"`
	Results []result `json:"results"`
	// Ratios are Vigil's rate over each baseline's, keyed "vigil/<path>".
	Ratios map[string]float64 `json:"ratios"`
	Aims   []aim              `json:"aims"`
}

func (r *report) find(path string) *result {
	for i := range r.Results {
		if r.Results[i].Path == path {
			return &r.Results[i]
		}
	}
	return nil
}

// compare fills in the ratios and the aims.
func (r *report) compare() {
	r.Ratios = map[string]float64{}
	v := r.find(pathVigil)
	if v == nil {
		return
	}
	for _, p := range []string{pathDefault, pathBatching} {
		if b := r.find(p); b != nil {
			r.Ratios[pathVigil+"/"+p] = v.Rate / b.Rate
		}
	}
	if ratio, ok := r.Ratios[pathVigil+"/"+pathDefault]; ok {
		r.Aims = append(r.Aims, aim{What: "vigil/" + pathDefault, Want: fmt.Sprintf(">= %.1f", aimRatio), Got: ratio, Met: ratio >= aimRatio})
	}
	r.Aims = append(r.Aims,
		aim{What: "vigil events/s", Want: fmt.Sprintf(">= %.0f", aimRate), Got: v.Rate, Met: v.Rate >= aimRate},
		aim{What: "vigil p50 commit to checkpoint (ms)", Want: fmt.Sprintf("<= %.0f", aimP50), Got: v.P50, Met: v.P50 <= aimP50},
	)
}

// print writes the report as a table.
func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "Vigil ledger benchmark: %d events per path, %d concurrent writers\n", r.Events, r.Writers)
	fmt.Fprintf(w, "machine: %s %s, GOMAXPROCS=%d, %d CPUs\n", r.Machine.Go, r.Machine.OS, r.Machine.GOMAXPROCS, r.Machine.NumCPU)
	if r.Machine.LoadAvg != "" {
		fmt.Fprintf(w, "load:    %s before the run (1, 5, 15 min); other work on the machine skews the figures\n", r.Machine.LoadAvg)
	}
	fmt.Fprintf(w, "disk:    %s; 4 KiB write+fsync p50 %.2fms, p99 %.2fms\n\n", r.Dir, r.Machine.FsyncP50, r.Machine.FsyncP99)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\tevents\tseconds\tevents/s\tp50\tp99\tp50 int.\tp99 int.\tentry B\t")
	for _, x := range r.Results {
		ip50, ip99 := "-", "-"
		if x.IntegratedP50 != nil {
			ip50, ip99 = fmtMs(*x.IntegratedP50), fmtMs(*x.IntegratedP99)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.0f\t%s\t%s\t%s\t%s\t%.0f\t\n", x.Path, x.Events, x.Seconds, x.Rate, fmtMs(x.P50), fmtMs(x.P99), ip50, ip99, x.EntryBytes)
	}
	tw.Flush()
	fmt.Fprintln(w, "\np50, p99: from commit (bare Tessera: the Add call) to the first published checkpoint covering the event.")
	fmt.Fprintln(w, "p50 int., p99 int.: bare Tessera only, from the entry's future resolving (integrated) to that checkpoint.")
	for _, x := range r.Results {
		fmt.Fprintf(w, "  %-17s %s\n", x.Path+":", x.Config)
	}
	if v := r.find(pathVigil); v != nil && v.WriterBatches > 0 {
		fmt.Fprintf(w, "  the ledger writer appended %d batches, %.0f events each on average; %d checkpoints published\n", v.WriterBatches, float64(v.Events)/float64(v.WriterBatches), v.Checkpoints)
	}

	if len(r.Ratios) > 0 {
		fmt.Fprintln(w, "\nratios of events/s:")
		for _, p := range []string{pathDefault, pathBatching} {
			if ratio, ok := r.Ratios[pathVigil+"/"+p]; ok {
				fmt.Fprintf(w, "  %-26s %.2f\n", pathVigil+" / "+p, ratio)
			}
		}
	}
	if len(r.Aims) > 0 {
		fmt.Fprintln(w, "\naims:")
		for _, a := range r.Aims {
			met := "met"
			if !a.Met {
				met = "NOT met"
			}
			fmt.Fprintf(w, "  %-36s %-8s got %-10.2f %s\n", a.What, a.Want, a.Got, met)
		}
	}
}

func fmtMs(ms float64) string { return fmt.Sprintf("%.0fms", ms) }
