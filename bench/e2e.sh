#!/usr/bin/env bash
# The external end-to-end benchmark of issue 14: builds shiphub and the
# benchmark, then runs, each in its own process, the bare net/http ceiling,
# the hub (shiphub serve), the merchant's receiver and the load generator.
#
#   bench/e2e.sh                                  # SQLite in a temporary directory
#   bench/e2e.sh --postgres 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
#   bench/e2e.sh --messages 20000 --connections 32 --profile-dir /tmp/prof
#
# Every other flag goes to bench/e2e (go run ./bench/e2e -h).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d "${TMPDIR:-/tmp}/shiphub-e2e-bin-XXXXXX")
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/shiphub" ./cmd/shiphub
go build -o "$bin/e2e" ./bench/e2e
"$bin/e2e" --shiphub "$bin/shiphub" "$@"
