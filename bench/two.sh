#!/usr/bin/env bash
# Issue 15, "scale past one machine": one against two 'steward serve'
# processes on one PostgreSQL database, same run, interleaved. The one
# process has the default --hash-concurrency (the cores); each of the two
# gets --hash-concurrency 1, as two processes on one machine split its cores
# (docs/deploy.md). For each repetition and operation it measures the one
# process with C clients, then the two with C/2 clients each at the same
# time, and prints each measurement and the aggregate (the sum of the two
# processes' 2xx per second).
#
#   bench/two.sh                           # REPS=3 DUR=8s C=64 ACCOUNTS=1000
#   PGURL=postgres://u@host:5432/db bench/two.sh
#
# PGURL names a server and a scratch database name; the script drops and
# creates that database (default postgres://root@127.0.0.1:5432/steward_two).
set -euo pipefail

PGURL=${PGURL:-postgres://root@127.0.0.1:5432/steward_two}
REPS=${REPS:-3}
DUR=${DUR:-8s}
C=${C:-64}
ACCOUNTS=${ACCOUNTS:-1000}
PORT0=${PORT0:-18080}
PORT1=${PORT1:-18081}
PORT2=${PORT2:-18082}

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh" steward-two

dbname=${PGURL##*/}
server=${PGURL%/*}
echo "== building; scratch database $dbname"
(cd "$root" && go build -o "$work/steward" ./cmd/steward)
(cd "$here" && go build -o "$work/load" ./load)
psql -q "$server/postgres" -c "DROP DATABASE IF EXISTS $dbname" -c "CREATE DATABASE $dbname" >/dev/null

export STEWARD_DB="$PGURL" STEWARD_POLICY="$root/policies/ivm.yaml"
export STEWARD_KEY_FILE="$work/data.key" STEWARD_CONSENT_KEY_FILE="$work/consent.key" STEWARD_AUDIT_KEY="$work/audit.key"
(cd "$work" && "$work/steward" migrate >/dev/null)
"$work/load" seed-steward --db "$STEWARD_DB" --accounts "$ACCOUNTS"
# One after another: the first start creates the data key the others read.
for port in "$PORT0" "$PORT1" "$PORT2"; do
	hc=1
	[ "$port" = "$PORT0" ] && hc=0
	(cd "$work" && exec "$work/steward" serve --addr "127.0.0.1:$port" --trusted-proxy 127.0.0.1/32 \
		--hash-concurrency "$hc" --log json >"$work/log.$port" 2>&1) &
	pids+=($!)
	up=
	for _ in $(seq 1 150); do
		curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && up=1 && break
		sleep 0.2
	done
	[ -n "$up" ] || { echo "not up: $port" >&2; cat "$work/log.$port" >&2; exit 1; }
done

rate() { awk '{for (i = 1; i <= NF; i++) if ($(i+1) == "ok/s") print $i}' | head -1; }
echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq 1 "$REPS"); do
	for op in profile login; do
		one=$("$work/load" run --target steward --op "$op" -c "$C" -d "$DUR" --accounts "$ACCOUNTS" --url "http://127.0.0.1:$PORT0")
		"$work/load" run --target steward --op "$op" -c $((C / 2)) -d "$DUR" --accounts "$ACCOUNTS" --url "http://127.0.0.1:$PORT1" >"$work/a" &
		"$work/load" run --target steward --op "$op" -c $((C / 2)) -d "$DUR" --accounts "$ACCOUNTS" --url "http://127.0.0.1:$PORT2" >"$work/b"
		wait $!
		r1=$(echo "$one" | head -1 | rate)
		ra=$(head -1 "$work/a" | rate)
		rb=$(head -1 "$work/b" | rate)
		echo "rep $rep $op: one process: $(echo "$one" | head -1)"
		echo "rep $rep $op: two, first:  $(head -1 "$work/a")"
		echo "rep $rep $op: two, second: $(head -1 "$work/b")"
		echo "rep $rep $op: 5xx one: $(echo "$one" | tail -1 | awk '{print $NF}'), two: $(tail -1 "$work/a" | awk '{print $NF}') + $(tail -1 "$work/b" | awk '{print $NF}')"
		awk -v one="$r1" -v a="$ra" -v b="$rb" -v op="$op" -v rep="$rep" \
			'BEGIN { printf "rep %s %s: one %.1f/s, two %.1f/s together = %.2fx\n", rep, op, one, a + b, (a + b) / one }'
	done
done
echo "== load average $(cut -d' ' -f1-3 /proc/loadavg)"
