#!/usr/bin/env bash
# Run some tests several times in a row while every core is kept busy, to catch tests that
# depend on timing luck (the project's rule: such a test is a bug). Prints each run's result
# and duration, then a summary; the output of a failed run is kept and its path printed.
#
#   scripts/stress_tests.sh [-n RUNS] [-q] PYTEST_ARGUMENTS…
#     -n RUNS  how many runs in a row (default 10)
#     -q       quiet: no load, for comparison
#
# Example, in the PostgreSQL pass (TEST_DATABASE_URL set, scripts/ensure_database.py run):
#   scripts/stress_tests.sh -n 10 tests/test_production_smoke.py tests/test_rotation_kill.py
#
# The load is one `while True: pass` per core, started here and stopped (by process id)
# when the script ends, however it ends.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=10
load=1
while getopts "n:q" option; do
    case $option in
        n) runs=$OPTARG ;;
        q) load=0 ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [ $# -eq 0 ]; then
    echo "usage: scripts/stress_tests.sh [-n RUNS] [-q] PYTEST_ARGUMENTS…" >&2
    exit 2
fi

busy=()
stop_load() {
    for pid in "${busy[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
}
trap stop_load EXIT
if [ $load -eq 1 ]; then
    for _ in $(seq "$(nproc)"); do
        .venv/bin/python -c 'while True: pass' &
        busy+=($!)
    done
    echo "load: ${#busy[@]} busy loops (pids ${busy[*]})"
fi

logs=$(mktemp -d "${TMPDIR:-/tmp}/stress-tests.XXXXXX")
passed=0
failed=0
durations=()
for run in $(seq "$runs"); do
    started=$(date +%s)
    if .venv/bin/python -m pytest -q -p no:cacheprovider "$@" >"$logs/run-$run.log" 2>&1; then
        outcome=passed
        passed=$((passed + 1))
        rm "$logs/run-$run.log"
    else
        outcome="FAILED (log: $logs/run-$run.log)"
        failed=$((failed + 1))
    fi
    seconds=$(($(date +%s) - started))
    durations+=("$seconds")
    echo "run $run/$runs: $outcome in ${seconds} s"
done

sorted=$(printf '%s\n' "${durations[@]}" | sort -n)
echo "$passed passed, $failed failed;" \
    "durations min $(head -1 <<<"$sorted") s," \
    "median $(sed -n "$(((runs + 1) / 2))p" <<<"$sorted") s," \
    "max $(tail -1 <<<"$sorted") s ($( [ $load -eq 1 ] && echo loaded || echo quiet ))"
rmdir "$logs" 2>/dev/null || true
[ "$failed" -eq 0 ]
