#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the Debian package from a built tree, unpacks it into a scratch root with dpkg -x and
# runs what it installed: --version, sim on an installed demo flow, a screenshot of the window
# under Xvfb; validates the AppStream metainfo, the desktop entry, the MIME types and the man
# page. Usage: test-package.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
source=$(cd "$2" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/flowscope-package.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo; echo "== $*"; }
# The installed binary must run on the system's libraries alone.
unset LD_LIBRARY_PATH QT_PLUGIN_PATH QT_QPA_PLATFORM

version=$(sed -n 's/^project(FlowScope VERSION \([0-9.]*\).*/\1/p' "$source/CMakeLists.txt")
[ -n "$version" ] || fail "no project version in $source/CMakeLists.txt"

step "cpack -G DEB"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$scratch/out" >"$scratch/cpack.log" 2>&1 \
    || { cat "$scratch/cpack.log"; fail "cpack failed"; }
deb=$(find "$scratch/out" -maxdepth 1 -name "flowscope_${version}_*.deb" | head -n1)
[ -f "$deb" ] || { cat "$scratch/cpack.log"; fail "no flowscope_${version}_*.deb"; }
echo "$(basename "$deb"): $(du -h "$deb" | cut -f1)"

step "dpkg-deb --info"
dpkg-deb --field "$deb" Package Version Architecture Section Maintainer Installed-Size Depends Recommends
[ "$(dpkg-deb --field "$deb" Package)" = flowscope ] || fail "package name"
[ "$(dpkg-deb --field "$deb" Version)" = "$version" ] || fail "package version is not $version"
depends=$(dpkg-deb --field "$deb" Depends)
for lib in libqt6core6 libqt6gui6 libqt6widgets6 librdkafka1 libsqlite3-0 libyaml-cpp libgvc6 libc6 libstdc++6; do
    grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib (shlibdeps): $depends"
done

step "dpkg -c"
dpkg -c "$deb" | awk '{print $1, $3, $6}'
root="$scratch/root"
dpkg -x "$deb" "$root"
bin="$root/usr/bin/flowscope"
share="$root/usr/share"
for f in "$bin" "$share/applications/flowscope.desktop" "$share/metainfo/io.flowscope.FlowScope.metainfo.xml" \
         "$share/mime/packages/flowscope.xml" "$share/man/man1/flowscope.1.gz" \
         "$share/icons/hicolor/scalable/apps/flowscope.svg" "$share/flowscope/demo/shop.yaml" \
         "$share/flowscope/demo/outage.yaml" "$share/flowscope/demo/orders.jsonl" \
         "$share/flowscope/demo/orders.fsrec" "$share/doc/flowscope/copyright"; do
    [ -s "$f" ] || fail "not installed: ${f#"$root"}"
done
for size in 16 22 24 32 48 64 128 256; do
    png="$share/icons/hicolor/${size}x${size}/apps/flowscope.png"
    [ -s "$png" ] || fail "not installed: ${png#"$root"}"
    dims=$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]) if d[:8]==b"\x89PNG\r\n\x1a\n" else "not-png")' "$png")
    [ "$dims" = "${size}x${size}" ] || fail "${png#"$root"} is $dims"
done
if readelf -d "$bin" | grep -E 'R(UN)?PATH' | grep -q "$build"; then fail "the binary's RUNPATH points into the build tree"; fi
# The window is a module the binary loads only to open one: commands start without the GUI libraries.
module=$(find "$root/usr/lib" -name libflowscope-gui.so -path '*/flowscope/*' | head -n1)
[ -s "$module" ] || fail "not installed: libflowscope-gui.so under /usr/lib/.../flowscope"
if readelf -d "$bin" | grep NEEDED | grep -qE 'libQt6(Widgets|Gui|Charts)'; then fail "the binary itself needs the GUI libraries"; fi
readelf -d "$module" | grep NEEDED | grep -q libQt6Widgets || fail "the GUI module does not link Qt Widgets"
# So are the commands that read or write a source: the others start without the network libraries.
connectors=$(find "$root/usr/lib" -name libflowscope-connectors.so -path '*/flowscope/*' | head -n1)
[ -s "$connectors" ] || fail "not installed: libflowscope-connectors.so under /usr/lib/.../flowscope"
if readelf -d "$bin" | grep NEEDED | grep -qE 'libQt6(Network|HttpServer|WebSockets)|librdkafka'; then
    fail "the binary itself needs the network libraries"
fi
readelf -d "$connectors" | grep NEEDED | grep -q librdkafka || fail "the connectors' module does not link librdkafka"

step "flowscope --version"
out=$("$bin" --version)
echo "$out"
grep -qx "FlowScope $version" <<<"$out" || fail "--version: no 'FlowScope $version'"
grep -qE '^Qt 6\.[0-9]+\.[0-9]+' <<<"$out" || fail "--version: no Qt version"
grep -qE '^librdkafka [0-9]+\.[0-9]+\.[0-9]+' <<<"$out" || fail "--version: no librdkafka version"
grep -qE '^SQLite 3\.[0-9]+\.[0-9]+' <<<"$out" || fail "--version: no SQLite version"

step "flowscope sim /usr/share/flowscope/demo/shop.yaml --duration 5s --json"
"$bin" sim "$share/flowscope/demo/shop.yaml" --duration 5s --json >"$scratch/sim.json"
events=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sim"]["events"])' "$scratch/sim.json")
echo "sim events: $events"
[ "$events" -gt 0 ] || fail "sim produced no events"

step "flowscope inspect /usr/share/flowscope/demo/orders.fsrec --json"
recorded=$("$bin" inspect "$share/flowscope/demo/orders.fsrec" --json \
           | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
echo "recording events: $recorded"
[ "$recorded" -gt 0 ] || fail "the sample recording is empty"

step "flowscope gui --screenshot under Xvfb"
shot="$scratch/window.png"
xvfb-run -a -s "-screen 0 1600x1000x24" "$bin" gui "$share/flowscope/demo/shop.yaml" --screenshot "$shot" \
    --after 2s >"$scratch/gui.log" 2>&1 || { cat "$scratch/gui.log"; fail "gui --screenshot failed"; }
[ -f "$shot" ] || { cat "$scratch/gui.log"; fail "no screenshot"; }
python3 - "$shot" <<'PY' || fail "the screenshot is trivial"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
print(f"screenshot: {w}x{h}, {len(data)} bytes")
assert w >= 400 and h >= 300, "too small"
assert len(data) > 20000, "too few bytes for a window with content"
PY

step "appstreamcli validate --no-net"
appstreamcli validate --no-net "$share/metainfo/io.flowscope.FlowScope.metainfo.xml"
release=$(sed -n 's/.*<release version="\([^"]*\)".*/\1/p' "$share/metainfo/io.flowscope.FlowScope.metainfo.xml" | head -n1)
[ "$release" = "$version" ] || fail "metainfo's newest release is '$release', the project is $version"

step "desktop-file-validate"
desktop-file-validate "$share/applications/flowscope.desktop"
echo "flowscope.desktop: ok"

step "MIME types (update-mime-database)"
# A scratch MIME database: the system's types plus ours, as shared-mime-info's trigger builds it.
mimeroot="$scratch/xdg"
mkdir -p "$mimeroot/mime/packages"
cp /usr/share/mime/packages/freedesktop.org.xml "$share/mime/packages/flowscope.xml" "$mimeroot/mime/packages/"
XDG_DATA_HOME="$mimeroot" XDG_DATA_DIRS="$mimeroot" update-mime-database "$mimeroot/mime" 2>&1 | tee "$scratch/mime.log"
[ ! -s "$scratch/mime.log" ] || fail "update-mime-database complained"
for t in application/x-flowscope-recording application/x-flowscope-flow; do
    grep -qx "$t" "$mimeroot/mime/types" || fail "MIME type $t not registered"
    grep -q "$t" "$share/applications/flowscope.desktop" || fail "the desktop entry does not open $t"
done
if command -v gio >/dev/null; then # GLib's detection, where GLib's tools happen to be installed
    cp "$share/flowscope/demo/orders.fsrec" "$scratch/no-suffix"
    cp "$share/flowscope/demo/shop.yaml" "$scratch/shop.flow.yaml"
    for f in "$share/flowscope/demo/orders.fsrec" "$scratch/no-suffix" "$scratch/shop.flow.yaml"; do
        type=$(XDG_DATA_HOME="$mimeroot" XDG_DATA_DIRS="$mimeroot" gio info -a standard::content-type "$f" \
               | sed -n 's/.*standard::content-type: //p')
        echo "$(basename "$f"): $type"
        case "$f" in *.flow.yaml) want=application/x-flowscope-flow ;; *) want=application/x-flowscope-recording ;; esac
        [ "$type" = "$want" ] || fail "$(basename "$f") is detected as '$type', not $want"
    done
fi
echo "MIME types: ok"

step "man page"
LC_ALL=C.UTF-8 MANWIDTH=100 man --warnings -l "$share/man/man1/flowscope.1.gz" >"$scratch/man.txt" 2>"$scratch/man.err" \
    || { cat "$scratch/man.err"; fail "man failed"; }
[ ! -s "$scratch/man.err" ] || { cat "$scratch/man.err"; fail "man page warnings"; }
# Every command of `flowscope --help` has an entry under COMMANDS that names every option of its
# `--help`: the man page is written by hand and must not fall behind the program.
zcat "$share/man/man1/flowscope.1.gz" >"$scratch/flowscope.1"
commands=$("$bin" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$commands" ] || fail "no commands in flowscope --help"
for c in $commands; do
    entry=$(awk -v c="$c" '/^\.SH COMMANDS/{s=1; next} /^\.SH/{s=0}
                           s && !e && $1 ~ /^\.B[IR]?$/ && $2 == c {e=1}
                           e {print} e && /^\.RE/ {exit}' "$scratch/flowscope.1")
    [ -n "$entry" ] || fail "the man page has no entry for '$c'"
    options=$(QT_QPA_PLATFORM=offscreen "$bin" "$c" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
    [ -n "$options" ] || fail "flowscope $c --help lists no options"
    for o in $options; do
        case "$o" in --help|--help-all) continue ;; esac
        grep -qF -- "${o//-/\\-}" <<<"$entry" || fail "the man page's entry for '$c' lacks $o"
    done
done
echo "flowscope.1: ok ($(wc -l <"$scratch/man.txt") lines; commands: ${commands//$'\n'/ })"

echo; echo "package ok: $(basename "$deb")"
