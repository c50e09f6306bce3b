#!/usr/bin/env bash
# Runs the kernel-backend tests (tests/kernel/) against the real dm-snapshot, snapshot-merge and
# dm-clone targets, inside a throwaway VM that boots Debian's own kernel package.
#
#   bash scripts/test-kernel.sh [TEST ...]     # default: every test listed by tests/kernel
#
# Steps (each cached step is reused when present, rebuilt from nothing otherwise):
#   1. host packages (scripts/setup.sh's list, without building everything)
#   2. kernel: `apt-get download` of the kernel package linux-image-amd64 points at; Debian 12's
#      config lacks CONFIG_DM_CLONE, so dm-clone.ko is built out of tree from linux-source and the
#      matching headers; the modules the guest needs are picked with depmod/modprobe
#      --show-depends; an initramfs (busybox + modules + init) is written.   -> $CACHE/<kernel>/
#   3. the test binaries (ninja target kernel_tests in $BUILD)
#   4. a payload disk (ext4, made with mkfs.ext4 -d, no mounting): the binaries, every library
#      ldd names (at its own path), busybox, a runner script, and free space for the test files
#   5. qemu (KVM when kvm_intel/kvm_amd is loaded, TCG otherwise), serial console parsed here
# Prints `N passed, N failed` (Qt Test totals summed; a test that crashes or never finishes
# counts as one failure) and exits non-zero on any failure.
#
# Environment: LOOPSNAP_KERNEL_CACHE (default ~/.cache/loopsnap-kernel), LOOPSNAP_BUILD_DIR
# (default build), LOOPSNAP_VM_ACCEL (auto|kvm|tcg), LOOPSNAP_VM_TIMEOUT (s, default 420),
# LOOPSNAP_VM_MEM (MiB, default 1536), LOOPSNAP_KERNEL_PACKAGE (e.g. linux-image-6.1.0-57-amd64).
# LOOPSNAP_KERNEL_PREPARE_ONLY=1 does steps 1-2 only (scripts/test.sh runs that in the background
# while it compiles: the downloads and dm-clone.ko overlap the builds).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${LOOPSNAP_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loopsnap-kernel}
BUILD=${LOOPSNAP_BUILD_DIR:-$ROOT/build}
ACCEL=${LOOPSNAP_VM_ACCEL:-auto}
started=$(date +%s)
TIMEOUT=${LOOPSNAP_VM_TIMEOUT:-420}
MEM=${LOOPSNAP_VM_MEM:-1536}
# What the guest loads; modprobe --show-depends adds their dependencies in load order.
GUEST_MODULES=(virtio_pci virtio_blk ext4 loop dm-mod dm-snapshot dm-delay dm-clone)

say() { echo "test-kernel: [$(( $(date +%s) - started ))s] $*" >&2; }
die() { say "$*"; echo "0 passed, 1 failed"; exit 2; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo

# ---- 1. packages -------------------------------------------------------------------------
LOOPSNAP_SETUP_NO_BUILD=1 bash scripts/setup.sh

# ---- 2. kernel, dm-clone.ko, modules, initramfs ----------------------------------------------
resolve_kernel_package() {
    local pkg=${LOOPSNAP_KERNEL_PACKAGE:-}
    [ -n "$pkg" ] || pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
    if [ -z "$pkg" ]; then $SUDO apt-get update -qq; pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}'); fi
    echo "$pkg"
}

decompress_module() {  # SRC DEST: Debian ships .ko, .ko.xz or .ko.zst depending on the release
    case $1 in *.xz) xz -dc "$1" >"$2";; *.zst) zstd -q -dc "$1" >"$2";; *.gz) gzip -dc "$1" >"$2";; *) cp "$1" "$2";; esac
}

build_dm_clone() {  # KROOT KVER VERSION WORK: leaves WORK/clone/dm-clone.ko
    local kroot=$1 kver=$2 version=$3 work=$4
    local major; major=$(echo "$kver" | cut -d. -f1-2)
    local common kbuild
    common=$(apt-cache depends "linux-headers-$kver" | awk '/Depends: linux-headers-.*-common/{print $2; exit}')
    kbuild=$(apt-cache depends "linux-headers-$kver" | awk '/Depends: linux-kbuild-/{print $2; exit}')
    [ -n "$common" ] && [ -n "$kbuild" ] || die "cannot find the header packages of $kver"
    (cd "$work/deb" && apt-get download -q "linux-source-$major=$version" "linux-headers-$kver=$version" \
        "$common=$version" "$kbuild=$version" 2>&1 | grep -v '^W:' >&2) || die "apt-get download of the kernel sources failed"
    mkdir -p "$work/hdr" "$work/src" "$work/clone"
    local p; for p in "linux-headers-$kver" "$common" "$kbuild"; do dpkg -x "$work"/deb/"${p}"_*.deb "$work/hdr"; done
    local headers="$work/hdr/usr/src/linux-headers-$kver"
    # The headers' Makefile includes the -common tree by its absolute /usr/src path.
    sed -i "s#/usr/src/#$work/hdr/usr/src/#" "$headers/Makefile"
    dpkg --fsys-tarfile "$work"/deb/linux-source-"${major}"_*.deb |
        tar -x -O "./usr/src/linux-source-$major.tar.xz" | xz -dc -T2 |
        tar -x -C "$work/src" --wildcards "linux-source-$major/drivers/md/*"
    local md="$work/src/linux-source-$major/drivers/md"
    cp "$md"/dm-clone-*.c "$md"/*.h "$work/clone/"
    cp -r "$md/persistent-data" "$work/clone/"
    printf 'obj-m := dm-clone.o\ndm-clone-y := dm-clone-target.o dm-clone-metadata.o\n' >"$work/clone/Kbuild"
    # No BTF for an out-of-tree module: it would need pahole and the kernel's vmlinux.
    make -s -C "$headers" M="$work/clone" CONFIG_DEBUG_INFO_BTF_MODULES= modules >&2 || die "building dm-clone.ko failed"
    mkdir -p "$kroot/lib/modules/$kver/extra"
    cp "$work/clone/dm-clone.ko" "$kroot/lib/modules/$kver/extra/"
}

write_guest_init() {  # FILE: PID 1 of the guest; mounts the payload disk and runs its runner
    cat >"$1" <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /modules/load.list); do
    insmod /modules/$m 2>/tmp.err || echo "@@VM insmod $m failed: $(cat /tmp.err)@@"
done
i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
mkdir -p /payload
if mount -t ext4 /dev/vda /payload; then
    mount --bind /dev /payload/dev; mount -t proc proc /payload/proc; mount -t sysfs sys /payload/sys
    mount -t tmpfs -o size=64m tmp /payload/tmp
    echo "@@VM_READY kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)@@"
    chroot /payload /bin/sh /run-tests.sh </dev/null; rc=$?
    sync; umount /payload/tmp /payload/sys /payload/proc /payload/dev; umount /payload
else
    echo "@@VM cannot mount the payload disk@@"; rc=98
fi
echo "@@VM_EXIT=$rc@@"
poweroff -f
EOF
    chmod +x "$1"
}

prepare_kernel() {  # -> sets KDIR (vmlinuz, initrd.gz)
    local kpkg; kpkg=$(resolve_kernel_package)
    if [ -z "$kpkg" ]; then
        KDIR=$(ls -d "$CACHE"/linux-image-*/ 2>/dev/null | tail -1); KDIR=${KDIR%/}
        [ -n "$KDIR" ] && [ -f "$KDIR/ready" ] || die "cannot resolve the kernel package (apt lists?)"
        say "apt has no kernel package; reusing $KDIR"; return
    fi
    local version; version=$(apt-cache show "$kpkg" | awk '/^Version:/{print $2; exit}')
    KDIR="$CACHE/${kpkg}_$version"
    if [ -f "$KDIR/ready" ]; then say "kernel $kpkg $version (cached in $KDIR)"; return; fi
    say "preparing kernel $kpkg $version in $KDIR"
    local kver=${kpkg#linux-image-}
    rm -rf "$KDIR"; mkdir -p "$KDIR"
    local work; work=$(mktemp -d "$CACHE/work.XXXXXX"); mkdir -p "$work/deb" "$work/root"
    (cd "$work/deb" && apt-get download -q "$kpkg=$version" 2>&1 | grep -v '^W:' >&2) || die "apt-get download $kpkg failed"
    dpkg -x "$work"/deb/"${kpkg}"_*.deb "$work/root"
    cp "$work/root/boot/vmlinuz-$kver" "$KDIR/vmlinuz"
    if ! grep -q '^CONFIG_DM_CLONE=[my]' "$work/root/boot/config-$kver"; then
        say "CONFIG_DM_CLONE is not set: building dm-clone.ko from linux-source"
        build_dm_clone "$work/root" "$kver" "$version" "$work"
    fi
    depmod -b "$work/root" "$kver"
    local init="$work/initramfs"; mkdir -p "$init"/{bin,sbin,dev,proc,sys,modules}
    cp /bin/busybox "$init/bin/busybox"
    local a; for a in $(/bin/busybox --list); do [ -e "$init/bin/$a" ] || ln -s busybox "$init/bin/$a"; done
    : >"$init/modules/load.list"
    local line path name
    # "insmod /path/x.ko" lines in load order, builtins as "builtin x": keep the modules, once.
    while read -r line; do
        case $line in insmod\ *) ;; *) continue;; esac
        path=${line#insmod }; path=${path%% *}; name=$(basename "$path"); name=${name%%.ko*}.ko
        grep -qx "$name" "$init/modules/load.list" && continue
        decompress_module "$path" "$init/modules/$name"
        echo "$name" >>"$init/modules/load.list"
    done < <(for m in "${GUEST_MODULES[@]}"; do
                 modprobe -d "$work/root" -S "$kver" --show-depends "$m" || die "module $m not found"; done)
    say "guest modules: $(tr '\n' ' ' <"$init/modules/load.list")"
    write_guest_init "$init/init"
    (cd "$init" && find . | cpio -o -H newc --quiet | gzip -1) >"$KDIR/initrd.gz"
    echo "$kpkg $version" >"$KDIR/ready"
    rm -rf "$work"
}

# ---- 4. payload disk ------------------------------------------------------------------------
copy_with_libraries() {  # BINARY DESTDIR PAYLOAD
    cp "$1" "$2/"
    local lib
    for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
        [ -e "$3$lib" ] && continue
        mkdir -p "$3$(dirname "$lib")"; cp -L "$lib" "$3$lib"
    done
}

make_payload() {  # TESTS... -> $RUN/payload.img
    local p="$RUN/payload"; mkdir -p "$p"/{bin,tests,dev,proc,sys,tmp,scratch}
    cp /bin/busybox "$p/bin/"; ln -s busybox "$p/bin/sh"
    local t; for t in "$@"; do copy_with_libraries "$BUILD/tests/kernel/$t" "$p/tests" "$p"; done
    # The CLI, for tst_kernel_cli (loopsnapctl --backend kernel).
    copy_with_libraries "$BUILD/app/loopsnapctl/loopsnapctl" "$p/bin" "$p"
    printf '%s\n' "$@" >"$p/tests/list"
    local libdirs; libdirs=$(cd "$p" && find . -name '*.so*' -printf '/%h\n' | sed 's#^/\./#/#' | sort -u | paste -sd:)
    cat >"$p/run-tests.sh" <<EOF
#!/bin/sh
export PATH=/bin LD_LIBRARY_PATH=$libdirs HOME=/tmp DM_DISABLE_UDEV=1
export LOOPSNAP_KERNEL_VM=1 TMPDIR=/scratch QT_QPA_PLATFORM=offscreen LOOPSNAPCTL=/bin/loopsnapctl
for t in \$(cat /tests/list); do
    echo "@@TEST_BEGIN \$t@@"
    /tests/\$t -maxwarnings 0; echo "@@TEST_END \$t rc=\$?@@"
done
EOF
    local mb; mb=$(( $(du -sm "$p" | cut -f1) + 512 ))
    truncate -s "${mb}M" "$RUN/payload.img"
    # Journal-less: nothing here needs to survive the VM; the data files get O_DIRECT either way.
    mkfs.ext4 -q -F -O ^has_journal -E root_owner=0:0 -d "$p" "$RUN/payload.img"
}

# ---- 5. the VM ------------------------------------------------------------------------------
pick_accel() {
    [ "$ACCEL" != auto ] && { echo "$ACCEL"; return; }
    # A stock kernel needs real VMX/SVM: a /dev/kvm backed by another module (e.g. kvm_pvm,
    # which only runs PVM guest kernels) hangs at boot, so TCG it is.
    if [ -r /dev/kvm ] && [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
        echo kvm; else echo tcg; fi
}

run_vm() {  # -> $RUN/console.log
    local accel; accel=$(pick_accel)
    local args=(-m "$MEM" -smp 2 -kernel "$KDIR/vmlinuz" -initrd "$KDIR/initrd.gz"
        -append "console=ttyS0 quiet loglevel=4 panic=-1"
        -display none -monitor none -serial stdio -no-reboot -nodefaults
        -drive "file=$RUN/payload.img,format=raw,if=virtio,cache=unsafe")
    if [ "$accel" = kvm ]; then args+=(-enable-kvm -cpu host); else args+=(-accel tcg,thread=multi -cpu max); fi
    say "booting ($accel, ${MEM} MiB, timeout ${TIMEOUT}s)"
    set +e
    timeout -k 5 "$TIMEOUT" qemu-system-x86_64 "${args[@]}" </dev/null 2>&1 | stdbuf -oL tr -d '\r' | tee "$RUN/console.log"
    VM_RC=${PIPESTATUS[0]}
    set -e
}

summarise() {  # sums Qt Test totals from the console log; prints the final line
    awk -v vmrc="$VM_RC" '
        /@@TEST_BEGIN / { name=$2; sub(/@@$/, "", name); began[name]=1; order[++n]=name; next }
        /^Totals: / && name != "" { p[name]+=$2; f[name]+=$4; s[name]+=$6; tot[name]=1; next }
        /@@TEST_END / { nm=$2; rc=$3; sub(/^rc=/, "", rc); sub(/@@$/, "", rc); ended[nm]=rc; next }
        END {
            P=0; F=0; S=0
            for (i=1; i<=n; i++) { t=order[i]
                if (!(t in ended)) { F++; printf "test-kernel: %s did not finish\n", t > "/dev/stderr"; P+=p[t]; F+=f[t]; continue }
                P+=p[t]; F+=f[t]; S+=s[t]
                if (ended[t] != 0 && (!(t in tot) || f[t] == 0)) { F++; printf "test-kernel: %s exited with %s\n", t, ended[t] > "/dev/stderr" }
            }
            if (n == 0) { F++; print "test-kernel: no test ran (VM exit " vmrc ")" > "/dev/stderr" }
            printf "%d passed, %d failed, %d skipped\n", P, F, S
            exit (F > 0)
        }' "$RUN/console.log"
}

mkdir -p "$CACHE"
prepare_kernel
[ "${LOOPSNAP_KERNEL_PREPARE_ONLY:-0}" = 1 ] && { say "kernel prepared in $KDIR"; exit 0; }
say "building the kernel tests in $BUILD"
[ -f "$BUILD/build.ninja" ] || cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$BUILD" -j"${LOOPSNAP_JOBS:-$(nproc)}" kernel_tests >/dev/null || die "building the kernel tests failed"
if [ $# -gt 0 ]; then TESTS=("$@"); else mapfile -t TESTS <"$BUILD/tests/kernel/kernel_tests.txt"; fi
RUN=$(mktemp -d "$CACHE/run.XXXXXX")
trap 'rm -rf "$RUN"' EXIT
make_payload "${TESTS[@]}"
VM_RC=0
run_vm
[ "$VM_RC" = 124 ] || [ "$VM_RC" = 137 ] && say "the VM timed out after ${TIMEOUT}s"
say "finished in $(( $(date +%s) - started )) s"
summarise
