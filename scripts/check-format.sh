#!/usr/bin/env bash
# Fails (naming each file and showing the difference) when a C++ file of the project is not as
# .clang-format says; `scripts/check-format.sh --fix` rewrites them. templates/ and examples/
# hold the user's filter code and are not checked.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
clang_format=${CLANG_FORMAT:-clang-format}
command -v "$clang_format" >/dev/null || { echo "check-format: $clang_format is missing (scripts/install-deps.sh)" >&2; exit 1; }

mapfile -t files < <(git ls-files -co --exclude-standard '*.cpp' '*.hpp' | grep -v -e '^templates/' -e '^examples/')
if [ "${1:-}" = "--fix" ]; then
  "$clang_format" -i "${files[@]}"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  if ! "$clang_format" --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "check-format: $f differs from .clang-format:" >&2
    "$clang_format" "$f" | diff -u "$f" - | head -20 >&2 || true
    bad=$((bad + 1))
  fi
done
if [ "$bad" -gt 0 ]; then
  echo "check-format: $bad file(s) differ; run scripts/check-format.sh --fix" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files as .clang-format says"
