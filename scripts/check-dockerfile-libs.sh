#!/usr/bin/env bash
# Checks that the Dockerfile's runtime stage installs exactly the packages of the shared
# libraries the built binary needs, and that together with what they depend on they provide
# every library the binary loads. No container engine needed: the binary built here links the
# same bookworm packages the image's build stage uses.
#   scripts/check-dockerfile-libs.sh [BINARY] [DOCKERFILE]    (defaults: build/wasme, Dockerfile)
# Exit 0 when they match; 1 with the differences otherwise; 2 on bad usage.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-$root/build/wasme}
dockerfile=${2:-$root/Dockerfile}
[[ -x "$binary" ]] || { echo "check-dockerfile-libs: no executable at $binary (build it, or pass its path)" >&2; exit 2; }
[[ -f "$dockerfile" ]] || { echo "check-dockerfile-libs: no Dockerfile at $dockerfile" >&2; exit 2; }

# The RUNTIME_LIBRARIES value of the last stage (after the last FROM).
listed=$(awk '/^FROM /{arg=""} /^ARG RUNTIME_LIBRARIES=/{sub(/^ARG RUNTIME_LIBRARIES=/, ""); gsub(/"/, ""); arg=$0} END{print arg}' "$dockerfile" | tr ' ' '\n' | sed '/^$/d' | sort -u)
[[ -n "$listed" ]] || { echo "check-dockerfile-libs: $dockerfile: no ARG RUNTIME_LIBRARIES=\"…\" in the last stage" >&2; exit 1; }

# The Debian package that owns a library file (following symlinks; /lib and /usr/lib merged).
owner() {
  local file=$1 real
  real=$(readlink -f "$file")
  for candidate in "$file" "$real" "${file/#\/lib\//\/usr\/lib\/}" "${real/#\/lib\//\/usr\/lib\/}" \
                   "${file/#\/usr\/lib\//\/lib\/}" "${real/#\/usr\/lib\//\/lib\/}"; do
    if out=$(dpkg -S "$candidate" 2>/dev/null); then
      echo "${out%%:*}" | sed 's/,.*//'
      return
    fi
  done
  echo "check-dockerfile-libs: no Debian package owns $file" >&2
  return 1
}

ldd_out=$(ldd "$binary")
if grep -q "not found" <<<"$ldd_out"; then
  echo "check-dockerfile-libs: $binary has unresolved libraries:" >&2
  grep "not found" <<<"$ldd_out" >&2
  exit 1
fi
path_of() { awk -v lib="$1" '$1 == lib && $3 ~ /^\// {print $3}' <<<"$ldd_out"; }

# Direct needs: the NEEDED entries of the binary itself.
needed=()
while read -r lib; do
  file=$(path_of "$lib")
  [[ -n "$file" ]] || { echo "check-dockerfile-libs: ldd does not resolve $lib" >&2; exit 1; }
  needed+=("$(owner "$file")")
done < <(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
direct=$(printf '%s\n' "${needed[@]}" | sort -u)

# Everything ldd loads, transitively.
all=$(awk '$3 ~ /^\// {print $3}' <<<"$ldd_out" | while read -r f; do owner "$f"; done | sort -u)

status=0
missing=$(comm -23 <(echo "$direct") <(echo "$listed"))
extra=$(comm -13 <(echo "$direct") <(echo "$listed"))
if [[ -n "$missing" ]]; then
  echo "check-dockerfile-libs: the runtime stage lacks packages the binary links:" $missing >&2
  status=1
fi
if [[ -n "$extra" ]]; then
  echo "check-dockerfile-libs: the runtime stage installs packages the binary does not link:" $extra >&2
  status=1
fi

# Transitive coverage: each package ldd reaches must come with the listed ones (their
# Depends, recursively) — or the image would start and fail to load a library.
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
            --no-replaces --no-enhances $listed 2>/dev/null \
          | sed -n 's/^\([^ <][^ ]*\)$/\1/p; s/^ *\(Pre\)\{0,1\}Depends: \([^<][^ ]*\)$/\2/p' \
          | sed 's/:.*//' | sort -u)
closure=$(printf '%s\n%s\n' "$closure" "$listed" | sort -u)
uncovered=$(comm -23 <(echo "$all") <(echo "$closure"))
if [[ -n "$uncovered" ]]; then
  echo "check-dockerfile-libs: libraries the binary loads come from packages the listed ones do not pull in:" $uncovered >&2
  status=1
fi

if ((status == 0)); then
  echo "check-dockerfile-libs: ok: $(wc -w <<<"$listed") packages cover the $(wc -l <<<"$all") packages of $(basename "$binary")'s libraries"
fi
exit $status
