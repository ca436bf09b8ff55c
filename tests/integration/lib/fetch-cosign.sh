#!/usr/bin/env bash
# Puts Debian trixie's cosign (a static binary) at DIR/bin/cosign, for the interop tests, without
# installing anything system-wide: apt-get reads a private trixie sources list and state under
# DIR, downloads the one .deb, and dpkg-deb unpacks it there. Reuses DIR/bin/cosign when present.
#   tests/integration/lib/fetch-cosign.sh DIR
set -euo pipefail
dir=$(realpath -m "${1:?usage: fetch-cosign.sh DIR}")
if [[ -x "$dir/bin/cosign" ]]; then echo "$dir/bin/cosign"; exit 0; fi
mkdir -p "$dir/etc" "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/x" "$dir/bin"
# The machine's own Debian mirror, with the trixie suite.
uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
cat >"$dir/etc/trixie.sources" <<SOURCES
Types: deb
URIs: ${uri:-http://deb.debian.org/debian}
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$dir/etc" -o "Dir::State::Lists=$dir/lists"
          -o "Dir::Cache=$dir/cache" -o "Debug::NoLocking=1" -qq)
apt-get "${apt_opts[@]}" update >&2
(cd "$dir" && apt-get "${apt_opts[@]}" download cosign >&2)
dpkg-deb -x "$dir"/cosign_*.deb "$dir/x"
cp "$dir/x/usr/bin/cosign" "$dir/bin/cosign"
rm -rf "$dir/x" "$dir"/cosign_*.deb "$dir/lists" "$dir/cache"
echo "$dir/bin/cosign"
