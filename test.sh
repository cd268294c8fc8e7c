#!/usr/bin/env bash
# The one test command: formatting, vet, and every test with the race
# detector, against SQLite and the PostgreSQL at 127.0.0.1:5432.
# With CI=true a missing PostgreSQL or Chromium fails the run instead of
# skipping those tests.
set -euo pipefail
cd "$(dirname "$0")"

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
# staticcheck from the Go module proxy, pinned; not a go.mod dependency.
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
# -parallel 4: the browser tests (t.Parallel) mostly wait on Chromium, so
# four overlap on two cores; no other test is marked parallel.
go test -race -count=1 -timeout 20m -parallel 4 "$@" ./...
