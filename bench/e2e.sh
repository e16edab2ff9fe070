#!/usr/bin/env bash
# The external end-to-end benchmark of issue 14: builds shiphub and the
# benchmark, then runs, each in its own process, the bare net/http ceiling,
# the hub (shiphub serve), the merchant's receiver and the load generator.
#
#   bench/e2e.sh                                  # SQLite in a temporary directory
#   bench/e2e.sh --postgres 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
#   bench/e2e.sh --messages 20000 --connections 32 --profile-dir /tmp/prof
#   bench/e2e.sh --baseline-rev a462595 --rounds 2   # before/after: that commit's binary too, alternating
#   bench/e2e.sh --soak 10m [--rate 300]          # paced load for 10 minutes: is the hub's RSS flat?
#   bench/e2e.sh --seed-inbox 10000000 --seed-shipments 1000000 [--rounds 2]
#                                                 # a large store (seeded once, kept) against an empty one
#
# Every other flag goes to bench/e2e (go run ./bench/e2e -h).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d "${TMPDIR:-/tmp}/shiphub-e2e-bin-XXXXXX")
cleanup() {
	if [ -d "$bin/src" ]; then git worktree remove --force "$bin/src" >/dev/null 2>&1 || true; fi
	rm -rf "$bin"
}
trap cleanup EXIT
args=()
baseline=""
while [ $# -gt 0 ]; do
	case "$1" in
	--baseline-rev) baseline="$2"; shift 2 ;;
	--baseline-rev=*) baseline="${1#*=}"; shift ;;
	*) args+=("$1"); shift ;;
	esac
done
go build -o "$bin/shiphub" ./cmd/shiphub
go build -o "$bin/e2e" ./bench/e2e
if [ -n "$baseline" ]; then
	git worktree add --detach "$bin/src" "$baseline" >/dev/null 2>&1
	# A baseline from before serve had --debug-listen gets this tree's serve files.
	if ! grep -q debug-listen "$bin/src/cmd/shiphub/serve.go"; then
		cp cmd/shiphub/serve.go cmd/shiphub/serve_debug.go "$bin/src/cmd/shiphub/"
	fi
	(cd "$bin/src" && go build -o "$bin/shiphub-baseline" ./cmd/shiphub)
	args+=(--baseline "$bin/shiphub-baseline")
fi
"$bin/e2e" --shiphub "$bin/shiphub" "${args[@]}"
