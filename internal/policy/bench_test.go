package policy

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkDecide decides the default pack's example requests in turn and
// reports, besides the mean, the 50th and 99th percentile of one decision.
// The aim is a p99 at or under 50µs on a small server.
func BenchmarkDecide(b *testing.B) {
	stack, err := Stack(DefaultPack)
	if err != nil {
		b.Fatal(err)
	}
	e, err := NewEngine(stack, Options{})
	if err != nil {
		b.Fatal(err)
	}
	var reqs []Request
	for _, ex := range stack[0].Examples {
		r, err := exampleRequest(ex)
		if err != nil {
			b.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := e.Decide(reqs[i%len(reqs)]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1000, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1000, "p99-µs")
}

// BenchmarkDigest is the baseline: the canonical JSON and SHA-256 of the
// same requests, which every decision computes anyway.
func BenchmarkDigest(b *testing.B) {
	stack, _ := Stack(DefaultPack)
	var reqs []Request
	for _, ex := range stack[0].Examples {
		r, _ := exampleRequest(ex)
		reqs = append(reqs, r)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = reqs[i%len(reqs)].Digest()
	}
}
