#!/usr/bin/env bash
# Evidence vault: ingest throughput against sha256sum and restic backup of
# the same files, then the retention sweep over 1,000,000 items of which 1%
# are due, against the same sweep over the due items alone. Needs Go, and
# Debian's restic for the restic comparison (without it, that comparison
# is skipped and said so).
#
#   bash bench/vault/run.sh                      # the issue's sizes
#   VIDEOS=2 VIDEO_MB=128 PHOTOS=1000 SWEEP=100000 bash bench/vault/run.sh
#   DIR=/mnt/disk bash bench/vault/run.sh         # measure another disk
set -euo pipefail
cd "$(dirname "$0")/../.."
args=()
[ -n "${DIR:-}" ] && args+=(-dir "$DIR")
go build -o "${TMPDIR:-/tmp}/vigil-bench-vault" ./bench/vault
bin="${TMPDIR:-/tmp}/vigil-bench-vault"
"$bin" "${args[@]}" -videos "${VIDEOS:-3}" -video-mb "${VIDEO_MB:-256}" -photos "${PHOTOS:-2000}" -photo-kb "${PHOTO_KB:-200}"
"$bin" "${args[@]}" -sweep "${SWEEP:-1000000}" -expired "${EXPIRED:-0.01}"
