#!/usr/bin/env bash
# Applies each planted bug (testdata/planted/NAME.patch) alone to a scratch copy of the tree
# and runs the test named in its header, which must fail: "caught", or "MISSED" and exit 1.
# Usage: scripts/planted.sh [NAME...]   (default: every patch)
# Header lines of a patch: "# run: <go test arguments>" and, optionally, "# fails: N": at least
# N "--- FAIL" lines (for a test run several times, or several tests); default 1.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in testdata/planted/*.patch; do names+=("$(basename "$f" .patch)"); done
fi
missed=0
# One scratch copy for the whole run, each patch applied and then taken back out: in one
# directory the build cache holds across patches, so each run compiles only what its patch
# changed (a fresh copy per patch recompiled the tree: ~30 s a patch, half an hour in all).
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$scratch"
for name in "${names[@]}"; do
  patch="$root/testdata/planted/$name.patch"
  args=$(sed -n 's/^# run: //p' "$patch")
  want=$(sed -n 's/^# fails: //p' "$patch"); want=${want:-1}
  if ! (cd "$scratch" && git apply "$patch"); then
    echo "MISSED  $name: the patch no longer applies"; missed=1; continue
  fi
  # A test that hangs is caught too: go test's timeout panics without a --- FAIL line.
  # shellcheck disable=SC2086
  fails=$(cd "$scratch" && go test -v $args 2>&1 | grep -cE '^\s*--- FAIL|^panic: test timed out')
  if ! (cd "$scratch" && git apply -R "$patch"); then
    echo "planted.sh: $name could not be taken back out of $scratch; stopping" >&2; exit 2
  fi
  if [ "$fails" -ge "$want" ]; then
    echo "caught  $name ($fails failing)"
  else
    echo "MISSED  $name: $fails failing, want at least $want (go test $args)"; missed=1
  fi
done
exit $missed
