#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs everything FlowScope needs to build, test and run, from Debian 12 packages only.
# Run as root (or through sudo). Safe to run again: apt-get skips what is installed.
set -euo pipefail

packages=(
  # toolchain
  build-essential         # g++ 12 (C++20), make
  cmake                   # build system (3.25)
  ninja-build             # fast parallel builds
  pkg-config              # finds librdkafka and Graphviz, which ship no CMake config
  # Qt 6.4
  qt6-base-dev            # Core, Gui, Widgets, Network, Test, Concurrent
  qt6-base-dev-tools      # moc, rcc, uic
  libqt6opengl6-dev       # Qt Charts' CMake config needs Qt6OpenGL; nothing pulls it in
  qt6-charts-dev          # throughput, latency and outcome charts in the GUI
  qt6-svg-dev             # SVG icons and SVG export of the topology
  qt6-websockets-dev      # WebSocket source
  qt6-httpserver-dev      # webhook receiver source
  # data and I/O
  libsimdjson-dev         # event parsing on the hot path (~20x QJsonDocument)
  libyaml-cpp-dev         # flow files, with line:column marks for errors
  libsqlite3-dev          # recordings (C API, WAL, prepared statements)
  sqlite3                 # the raw-import baseline of the benchmark, and for users to poke at recordings
  librdkafka-dev          # Kafka source and replay sink; also its mock cluster for tests
  libjemalloc-dev         # the application's malloc: no GUI-thread waits on other threads' arenas
  libgraphviz-dev         # dot layout of the topology and saga diagrams
  kcat                    # independent Kafka client used by tests and as a benchmark baseline
  # tests and docs
  xvfb xauth              # screenshots and GUI tests on headless machines
  fonts-dejavu-core       # readable text in offscreen renders
  python3-simpy3          # SimPy 3: the simulator benchmark's baseline
  # packaging (the .deb of packaging/CMakeLists.txt and its test)
  dpkg-dev                # dpkg-shlibdeps: the package's library dependencies (build-essential has it too)
  appstream               # appstreamcli validate: checks the AppStream metainfo
  desktop-file-utils      # desktop-file-validate: checks the .desktop entry
  man-db                  # man --warnings: checks that the man page renders cleanly (minimal images lack it)
)

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
# Only hit the network when something is missing.
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
