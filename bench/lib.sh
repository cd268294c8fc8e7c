# Shared prologue of bench/run.sh and bench/two.sh: sourced, not run.
# Sets here (bench/), root (the repository), work (a new scratch
# directory named after $1) and pids (servers the script starts), and
# on exit stops those servers and removes the scratch directory.
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
root=$(dirname "$here")
work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
