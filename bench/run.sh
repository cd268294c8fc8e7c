#!/usr/bin/env bash
# Issue 15's side-by-side benchmark, one command: builds Steward, the load
# tool (bench/load) and PocketBase at a pinned version from the Go module
# proxy (kept out of Steward's go.mod), starts both on SQLite on loopback,
# seeds the same accounts in both, and prints the same-run ratios:
# authenticated profile read at c16 and c64 (Steward / PocketBase), logins
# at c8 and c64 against the bare argon2id ceiling measured directly before
# and after each login phase, repeated and interleaved; then the mixed 64-client load on Steward with its 5xx count
# and peak RSS. docs/performance.md has the last results.
#
# Then the issue's other rows, Steward alone: audit verify of 1,000,000
# entries and single-transaction appends after them (`steward audit
# bench`), a retention run of 100,000 due of 1,000,000 accounts against
# the bare SQL baselines (`steward retention bench`), each on SQLite and,
# when PGURL's server answers, on PostgreSQL in a scratch schema it drops
# afterwards; and the My data page of a 10,000-record person
# (`go test ./web -bench MyDataPage10k`).
#
#   bench/run.sh                     # REPS=3 DUR=8s ACCOUNTS=1000 MIXED=20s
#   REPS=1 DUR=3s bench/run.sh       # a quick look
#   STORE_ROWS=0 bench/run.sh        # without the audit, retention and My data rows
set -euo pipefail

PB_VERSION=${PB_VERSION:-v0.39.11}
REPS=${REPS:-3}
DUR=${DUR:-8s}
MIXED=${MIXED:-20s}
ACCOUNTS=${ACCOUNTS:-1000}
STORE_ROWS=${STORE_ROWS:-1}
AUDIT_ENTRIES=${AUDIT_ENTRIES:-1000000}
RET_ACCOUNTS=${RET_ACCOUNTS:-1000000}
RET_DUE=${RET_DUE:-100000}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
SPORT=${SPORT:-18080}
PPORT=${PPORT:-18090}

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh" steward-bench

echo "== building (PocketBase $PB_VERSION from the Go module proxy)"
(cd "$root" && go build -o "$work/steward" ./cmd/steward)
(cd "$here" && go build -o "$work/load" ./load)
GOBIN="$work" go install "github.com/pocketbase/pocketbase/examples/base@$PB_VERSION"
mv "$work/base" "$work/pocketbase"

wait_up() { # url
	for _ in $(seq 1 100); do
		curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "not up: $1" >&2
	return 1
}

echo "== starting both on SQLite, seeding $ACCOUNTS accounts in each"
mkdir -p "$work/s" "$work/pb"
export STEWARD_DB="sqlite:$work/s/steward.db" STEWARD_POLICY="$root/policies/ivm.yaml"
export STEWARD_KEY_FILE="$work/s/data.key" STEWARD_CONSENT_KEY_FILE="$work/s/consent.key" STEWARD_AUDIT_KEY="$work/s/audit.key"
(cd "$work/s" && "$work/steward" migrate >/dev/null)
"$work/load" seed-steward --db "$STEWARD_DB" --accounts "$ACCOUNTS"
(cd "$work/s" && exec "$work/steward" serve --addr "127.0.0.1:$SPORT" --trusted-proxy 127.0.0.1/32 --log json >"$work/s/log" 2>&1) &
pids+=($!)
"$work/pocketbase" superuser upsert bench-admin@example.org bench-admin-password --dir "$work/pb" >/dev/null
"$work/pocketbase" serve --http "127.0.0.1:$PPORT" --dir "$work/pb" >"$work/pb/log" 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$SPORT/healthz"
wait_up "http://127.0.0.1:$PPORT/api/health"
"$work/load" seed-pocketbase --url "http://127.0.0.1:$PPORT" --accounts "$ACCOUNTS" \
	--admin bench-admin@example.org --admin-password bench-admin-password
spid=${pids[0]} # the subshell exec'd into steward serve

echo "== $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/load" table --steward "http://127.0.0.1:$SPORT" --pocketbase "http://127.0.0.1:$PPORT" \
	--reps "$REPS" -d "$DUR" --accounts "$ACCOUNTS"

echo
echo "== mixed load on Steward: 64 clients for $MIXED (70% profile reads, 10% logins, 10% My data JSON, 10% home page)"
"$work/load" run --target steward --url "http://127.0.0.1:$SPORT" --op mixed -c 64 -d "$MIXED" --accounts "$ACCOUNTS"
echo "Steward peak RSS: $(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$spid/status"); now $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$spid/status")"
# The hashes' memory goes back to the system once logins have been idle
# for half a minute (account.releaseAfterIdle), the rest as the runtime's
# scavenger returns it.
sleep 5
echo "Steward RSS 5 s later: $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$spid/status")"
sleep 30
echo "Steward RSS 35 s later: $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' "/proc/$spid/status"); load average $(cut -d' ' -f1-3 /proc/loadavg)"

[ "$STORE_ROWS" = 1 ] || exit 0

# A scratch schema on PGURL's server for one command, dropped after it.
pg_scratch() { # command...
	local schema="steward_bench_$$_$RANDOM"
	psql "$PGURL" -qc "CREATE SCHEMA $schema" >/dev/null || return 1
	local sep='?'
	case "$PGURL" in *\?*) sep='&' ;; esac
	"$@" --db "$PGURL${sep}search_path=$schema"
	local rc=$?
	PGOPTIONS="-c client_min_messages=warning" psql "$PGURL" -qc "DROP SCHEMA $schema CASCADE" >/dev/null
	return $rc
}
stores=(sqlite)
if psql "$PGURL" -qc 'SELECT 1' >/dev/null 2>&1; then stores+=(postgres); else echo "(PostgreSQL at PGURL does not answer: its rows are left out)"; fi

echo
echo "== audit: $AUDIT_ENTRIES entries appended in batches and verified, then 5,000 single-entry transactions"
for st in "${stores[@]}"; do
	echo "-- $st, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	if [ "$st" = sqlite ]; then
		(cd "$work" && "$work/steward" audit bench --entries "$AUDIT_ENTRIES" --single 5000)
	else
		(cd "$work" && pg_scratch "$work/steward" audit bench --entries "$AUDIT_ENTRIES" --single 5000)
	fi | grep -E 'per transaction|verify'
done
echo "goals: verify < 1 s SQLite, < 1.5 s PostgreSQL; single >= 5,000/s SQLite, >= 2,000/s PostgreSQL"

echo
echo "== retention: $RET_DUE due of $RET_ACCOUNTS accounts, against the bare SQL baselines"
for st in "${stores[@]}"; do
	echo "-- $st, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	if [ "$st" = sqlite ]; then
		(cd "$work" && "$work/steward" retention bench --db "sqlite:$work/retention.db" --accounts "$RET_ACCOUNTS" --due "$RET_DUE")
		rm -f "$work"/retention.db*
	else
		(cd "$work" && pg_scratch "$work/steward" retention bench --accounts "$RET_ACCOUNTS" --due "$RET_DUE")
	fi | grep -E 'run:|run/bare'
done
echo "goal: run <= 2x bare"

echo
echo "== My data page, 10,000 records (SQLite, through the real router), load average $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$root" && go test ./web -run '^$' -bench 'MyDataPage10k' -benchtime 100x -count 3 2>/dev/null) | grep -oE '[0-9.]+ p50-ms.*p99-ms' | sed 's/^/  /'
echo "goal: p50 < 50 ms"
