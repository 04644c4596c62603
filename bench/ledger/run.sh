#!/usr/bin/env bash
# Runs the ledger benchmark: N=20000 events through Vigil's event path and
# through bare Tessera, 32 concurrent writers, on the disk of $TMPDIR (or /tmp).
# Needs only Go; run it from anywhere:
#
#   bash bench/ledger/run.sh                  # one run, a table
#   RUNS=3 bash bench/ledger/run.sh           # three runs, to see the spread
#   bash bench/ledger/run.sh -json            # any other flag goes to the program
#   bash bench/ledger/run.sh -dir /srv/disk   # measure another disk
#   bash bench/ledger/run.sh -db 'postgres://user@host/throwaway'  # an empty database
#   bash bench/ledger/run.sh -paths vigil -cpuprofile vigil.cpu    # Vigil alone, profiled
#
# hyperfine is not needed: the program times itself from inside and compares
# against baselines it measures in the same run. (hyperfine would time whole
# runs, including the slow default-batching baseline, which says little.)
set -euo pipefail

N=20000
WRITERS=32
RUNS=${RUNS:-1}

cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/bench-ledger" ./bench/ledger
for ((i = 1; i <= RUNS; i++)); do
	"$tmp/bench-ledger" -n "$N" -writers "$WRITERS" "$@"
done
