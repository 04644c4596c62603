#!/usr/bin/env bash
# Policy decisions with the default pack: time per decision (mean, p50,
# p99) and, as a baseline measured in the same run, the canonical JSON and
# SHA-256 of the same requests that every decision computes anyway.
# Needs only Go. Aim: p99 <= 50 µs per decision on a 2-core machine.
#
#   bash bench/policy/run.sh            # 3 runs of 200,000 decisions
#   N=1000000 RUNS=5 bash bench/policy/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-200000}
RUNS=${RUNS:-3}
out=$(go test -run '^$' -bench '^Benchmark(Decide|Digest)$' -benchtime "${N}x" -count "$RUNS" ./internal/policy)
echo "$out" | grep '^Benchmark'
echo "$out" | awk '
	/^BenchmarkDecide/ { for (i = 1; i <= NF; i++) { if ($(i+1) == "ns/op") d += $i; if ($(i+1) == "p99-µs") { p += $i; if ($i > pmax) pmax = $i } }; nd++ }
	/^BenchmarkDigest/ { for (i = 1; i <= NF; i++) if ($(i+1) == "ns/op") g += $i; ng++ }
	END {
		printf "\ndecision: mean %.1f µs, p99 %.1f µs (worst run %.1f µs)\n", d/nd/1000, p/nd, pmax
		printf "baseline (request digest): mean %.1f µs\n", g/ng/1000
		printf "ratio decision / baseline: %.2f\n", (d/nd)/(g/ng)
		printf "aim p99 <= 50 µs: %s\n", (pmax <= 50 ? "met in every run" : (p/nd <= 50 ? "met on average, not in every run" : "NOT met"))
	}'
