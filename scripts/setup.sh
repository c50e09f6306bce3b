#!/usr/bin/env bash
# Installs every package Loopsnap needs on Debian 12 (run as root) and builds it.
#   scripts/setup.sh            -> build/      (RelWithDebInfo)
#   LOOPSNAP_ASAN=1 scripts/setup.sh also builds build-asan/ (AddressSanitizer + UBSan)
#   LOOPSNAP_SETUP_NO_BUILD=1 scripts/setup.sh only installs the packages
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  g++ cmake ninja-build pkg-config git
  qt6-base-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools libgl-dev qt6-charts-dev libqt6opengl6-dev
  libnbd-dev libnbd-bin nbdkit qemu-utils
  libfuse3-dev fuse3 libdevmapper-dev libblkid-dev e2fsprogs
  qemu-system-x86 busybox-static cpio xz-utils kmod make gcc   # scripts/test-kernel.sh's VM
  qt6-svg-dev xvfb xauth x11-utils   # x11-utils: xwininfo, for tst_ui_real_window under xvfb-run
  dpkg-dev librsvg2-bin appstream desktop-file-utils bash-completion man-db   # the .deb and its checks
  qt6-translations-l10n locales
  dbus-daemon libxml2-utils polkitd   # loopsnap-helper's tests: a private bus, its polkit action checked
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The German locale, for running the app in German (LANG=de_DE.UTF-8 loopsnap); the screenshot
# docs/screenshots/main-de.png is taken with it.
if [ -f /etc/locale.gen ] && ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO sed -i 's/^# *de_DE.UTF-8 UTF-8/de_DE.UTF-8 UTF-8/' /etc/locale.gen
  $SUDO locale-gen >/dev/null
fi

[ "${LOOPSNAP_SETUP_NO_BUILD:-0}" = 1 ] && exit 0
JOBS=${LOOPSNAP_JOBS:-$(nproc)}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$JOBS"
if [ "${LOOPSNAP_ASAN:-0}" = 1 ]; then
  # The engine tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLOOPSNAP_SANITIZE=ON -DLOOPSNAP_ENGINE_ONLY=ON >/dev/null
  ninja -C build-asan -j"$JOBS"
fi
