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
