# Shared helpers for the scripts in scripts/. Source, do not run.

step() { printf '\n==> %s\n' "$*"; }

die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Makes sure a Swift 6.2+ toolchain is on PATH (the standard install puts it in /opt/swift).
require_swift() {
  if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
  fi
  command -v swift >/dev/null 2>&1 || die "the Swift toolchain (6.2 or newer) is not on PATH; install it from swift.org"
}

# The folder of sample documents: the shared corpus beside the checkout when present, else the bundled copy.
samples_folder() {
  if [ -f ../shared/corpus/japan-us-2plus2.txt ]; then echo ../shared/corpus; else echo Samples; fi
}

# The outside consumers the tests read exports with (pyld for JSON-LD, bratly for
# brat standoff), pinned, in a virtual environment inside the build folder;
# exports GLOSS_TEST_PYTHON, the interpreter that has them.
python_tools() {
  local venv=.build/python-tools
  local wanted="pyld==3.3.0 bratly==0.1.4 bratly-io-fs==0.1.4"
  if [ ! -f "$venv/installed" ] || [ "$(cat "$venv/installed")" != "$wanted" ]; then
    command -v python3 >/dev/null 2>&1 || die "python3 is needed by the format tests (Python's csv, pyld, bratly)"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "cannot make a Python virtual environment in $venv"
    # shellcheck disable=SC2086
    "$venv/bin/pip" install --quiet --disable-pip-version-check $wanted || die "cannot install $wanted from PyPI"
    echo "$wanted" > "$venv/installed"
  fi
  GLOSS_TEST_PYTHON="$PWD/$venv/bin/python"
  export GLOSS_TEST_PYTHON
}

# Headless Chromium, which the HTML report's test renders the report with: Debian's
# package, installed when missing (as root, as CI runs).
chromium_tool() {
  command -v chromium >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null \
      || die "cannot install Debian's chromium package"
  else
    die "the HTML report's test needs headless Chromium: install Debian's chromium package (or set GLOSS_TEST_CHROMIUM)"
  fi
}

# Runs `swift test` with the given arguments, killed after $1 minutes: a test that
# hangs fails the run in minutes, naming the tests that started and never ended,
# instead of holding the run until an outside limit ends it with nothing said.
swift_test_within() {
  local minutes=$1 log status=0
  shift
  log=$(mktemp "${TMPDIR:-/tmp}/swift-test-XXXXXX.log")
  { timeout --kill-after=30 "$((minutes * 60))" swift test "$@" 2>&1; echo $? > "$log.status"; } | tee "$log"
  status=$(cat "$log.status")
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    printf '\nerror: the tests were still running after %s minutes; started and never ended:\n' "$minutes" >&2
    sed -n 's/^.*Test \("[^"]*"\).* started\.$/\1/p' "$log" | sort -u > "$log.started"
    sed -n 's/^.*Test \("[^"]*"\).* \(passed\|failed\|skipped\).*$/\1/p' "$log" | sort -u > "$log.ended"
    comm -23 "$log.started" "$log.ended" | sed 's/^/  /' >&2
  fi
  rm -f "$log" "$log.status" "$log.started" "$log.ended"
  return "$status"
}
