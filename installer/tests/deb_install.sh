#!/usr/bin/env bash
# Builds the Debian package from a built tree, checks its contents, installs it with dpkg on
# this machine, runs the installed programs, validates the installed desktop file and AppStream
# metadata, and removes it again, checking that nothing is left under /usr.
#   deb_install.sh BUILD_DIR SOURCE_DIR VERSION gui|cli
# Exit 77 (skipped) when not root or when a loopsnap package is installed already (this test
# never replaces or removes a package it did not install).
set -uo pipefail
build=$1
source_dir=$2
version=$3
flavour=$4
app_id=io.github.loopsnap.Loopsnap
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
step() { echo "--- $*"; }

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: installing a .deb needs root"; exit 77
fi
if dpkg-query -W -f='${Status}' loopsnap 2>/dev/null | grep -q "ok installed"; then
    echo "SKIP: a loopsnap package is installed already; this test does not replace it"; exit 77
fi
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps man; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (scripts/setup.sh installs it)"; exit 1; }
done

work=$(mktemp -d "$build/deb-test.XXXXXX")
installed=0
cleanup() {
    if [ $installed -eq 1 ]; then dpkg -P loopsnap >/dev/null 2>&1; fi
    rm -rf "$work"
}
trap cleanup EXIT

# --- build the package -----------------------------------------------------------------------
step "cpack -G DEB"
(cd "$build" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out") >"$work/cpack.log" 2>&1 \
    || { cat "$work/cpack.log"; echo "FAIL: cpack -G DEB failed"; exit 1; }
debs=("$work"/out/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { ls -l "$work/out"; echo "FAIL: expected one .deb"; exit 1; }
deb=${debs[0]}
echo "built $(basename "$deb")"

step "control fields"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = loopsnap ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', expected $version"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture is '$(field Architecture)'"
depends=$(field Depends)
echo "Depends: $depends"
depends_names=$(tr ',' '\n' <<<"$depends" | awk '{print $1}')
# From dpkg-shlibdeps: the C library, the C++ runtime and Qt (both programs link Qt).
for lib in libc6 libstdc++6 libqt6core6; do
    grep -qxF -- "$lib" <<<"$depends_names" || fail "Depends lacks $lib (shlibdeps)"
done
if [ "$flavour" = gui ]; then
    grep -qxF libqt6widgets6 <<<"$depends_names" || fail "Depends lacks libqt6widgets6"
fi

step "contents, owners and modes"
expected=(
    ./usr/bin/loopsnapctl
    ./usr/share/man/man1/loopsnapctl.1.gz
    ./usr/share/bash-completion/completions/loopsnapctl
    ./usr/share/doc/loopsnap/copyright
)
icon_sizes=(16 22 24 32 48 64 128 256 512)
if [ "$flavour" = gui ]; then
    expected+=(
        ./usr/bin/loopsnap
        ./usr/share/man/man1/loopsnap.1.gz
        ./usr/share/applications/$app_id.desktop
        ./usr/share/metainfo/$app_id.metainfo.xml
        ./usr/share/icons/hicolor/scalable/apps/$app_id.svg
    )
    for s in "${icon_sizes[@]}"; do expected+=("./usr/share/icons/hicolor/${s}x${s}/apps/$app_id.png"); done
fi
listing=$(dpkg-deb -c "$deb")
paths=$(awk '{print $6}' <<<"$listing")
for p in "${expected[@]}"; do
    grep -qxF -- "$p" <<<"$paths" || fail "package lacks $p"
done
while read -r mode owner _ _ _ path _; do
    [ "$owner" = root/root ] || fail "$path is owned by $owner"
    case $mode in
        d*) [ "$mode" = drwxr-xr-x ] || fail "directory $path has mode $mode" ;;
        -*)
            case $path in
                ./usr/bin/* | ./usr/libexec/*) want=-rwxr-xr-x ;;
                *) want=-rw-r--r-- ;;
            esac
            [ "$mode" = "$want" ] || fail "$path has mode $mode, expected $want"
            ;;
        *) fail "$path is neither a file nor a directory ($mode)" ;;
    esac
done <<<"$listing"
grep -q '^\./usr/local\|^\./home\|^\./root\|^\./tmp' <<<"$paths" && fail "files outside /usr: $(grep -v '^\./usr' <<<"$paths" | tr '\n' ' ')"

# --- install ---------------------------------------------------------------------------------
before_usr=$(find /usr -name '*loopsnap*' | sort)
step "dpkg -i"
dpkg -i "$deb" >"$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log"; echo "FAIL: dpkg -i failed"; exit 1; }
installed=1
owned=$(dpkg -L loopsnap)

step "loopsnapctl --version"
out=$(/usr/bin/loopsnapctl --version 2>&1)
[ "$out" = "loopsnapctl $version" ] || fail "installed loopsnapctl --version printed '$out'"
[ "$(command -v loopsnapctl)" = /usr/bin/loopsnapctl ] || fail "loopsnapctl on PATH is $(command -v loopsnapctl)"

step "man page"
[ "$(man -w loopsnapctl 2>/dev/null)" = /usr/share/man/man1/loopsnapctl.1.gz ] || fail "man -w loopsnapctl: '$(man -w loopsnapctl 2>&1)'"
man_out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l /usr/share/man/man1/loopsnapctl.1.gz 2>"$work/man.err")
grep -q '^NAME' <<<"$man_out" && grep -q 'loopsnapctl - block-level snapshots' <<<"$man_out" || fail "man page does not render"
[ -s "$work/man.err" ] && fail "man page warnings: $(cat "$work/man.err")"

step "bash completion (loaded on demand as bash-completion does)"
if [ -r /usr/share/bash-completion/bash_completion ]; then
    offered=$(bash -c 'source /usr/share/bash-completion/bash_completion
        __load_completion loopsnapctl || exit 1
        COMP_WORDS=(loopsnapctl clone h); COMP_CWORD=2; COMP_LINE="loopsnapctl clone h"; COMP_POINT=${#COMP_LINE}
        $(complete -p loopsnapctl | sed -n "s/.*-F \([^ ]*\) .*/\1/p") loopsnapctl h clone
        printf "%s\n" "${COMPREPLY[@]}"')
    [ "$offered" = hydrate ] || fail "completing 'loopsnapctl clone h' offered '$offered'"
else
    fail "/usr/share/bash-completion/bash_completion missing (package bash-completion)"
fi

if [ "$flavour" = gui ]; then
    step "loopsnap --screenshot (offscreen)"
    shot=$work/x.png
    QT_QPA_PLATFORM=offscreen /usr/bin/loopsnap --screenshot "$shot" --view main >"$work/shot.log" 2>&1 \
        || { cat "$work/shot.log"; fail "installed loopsnap --screenshot failed"; }
    if [ -s "$shot" ] && [ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
        echo "screenshot: $(stat -c %s "$shot") bytes"
    else
        fail "installed loopsnap wrote no PNG"
    fi

    step "loopsnap man page covers loopsnap --help"
    [ "$(man -w loopsnap 2>/dev/null)" = /usr/share/man/man1/loopsnap.1.gz ] || fail "man -w loopsnap: '$(man -w loopsnap 2>&1)'"
    gui_man=$(zcat /usr/share/man/man1/loopsnap.1.gz | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g')
    gui_help=$(QT_QPA_PLATFORM=offscreen /usr/bin/loopsnap --help 2>&1)
    gui_options=$(grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' <<<"$gui_help" | grep -oE -- '--[a-z-]+' | grep -vxE -- '--help|--help-all|--version')
    [ -n "$gui_options" ] || fail "loopsnap --help lists no option: $gui_help"
    for opt in $gui_options; do
        grep -q -- "$opt" <<<"$gui_man" || fail "loopsnap.1 lacks $opt of loopsnap --help"
    done

    step "desktop-file-validate"
    desktop=/usr/share/applications/$app_id.desktop
    desktop-file-validate "$desktop" || fail "desktop-file-validate $desktop"
    icon=$(sed -n 's/^Icon=//p' "$desktop")
    [ -f "/usr/share/icons/hicolor/scalable/apps/$icon.svg" ] || fail "Icon=$icon has no SVG in hicolor"
    exe=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop")
    [ "$(command -v "$exe")" = /usr/bin/loopsnap ] || fail "Exec=$exe is not the installed loopsnap"

    step "appstreamcli validate --no-net"
    metainfo=/usr/share/metainfo/$app_id.metainfo.xml
    appstreamcli validate --no-net "$metainfo" || fail "appstreamcli validate --no-net $metainfo"
    launchable=$(sed -n 's:.*<launchable type="desktop-id">\(.*\)</launchable>.*:\1:p' "$metainfo")
    [ "$launchable" = "$app_id.desktop" ] && [ -f "/usr/share/applications/$launchable" ] \
        || fail "launchable '$launchable' is not an installed desktop file"
    newest=$(grep -m1 -o '<release version="[^"]*"' "$metainfo" | cut -d'"' -f2)
    [ "$newest" = "$version" ] || fail "newest AppStream release is '$newest', the project is $version"
    shots=$(grep -o '<image[^>]*>[^<]*</image>' "$metainfo" | sed 's:<image[^>]*>[^<]*/docs/screenshots/\([^<]*\)</image>:\1:')
    [ -n "$shots" ] || fail "metainfo lists no screenshot"
    for s in $shots; do
        [ -f "$source_dir/docs/screenshots/$s" ] || fail "metainfo screenshot $s is not in docs/screenshots/"
    done

    step "PNG icon sizes"
    for s in "${icon_sizes[@]}"; do
        png=/usr/share/icons/hicolor/${s}x${s}/apps/$app_id.png
        # IHDR: width and height, big-endian, at bytes 16..23.
        dims=$(od -An -tu1 -j16 -N8 "$png" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}')
        [ "$dims" = "${s}x${s}" ] || fail "$png is $dims"
    done
fi

# --- remove ----------------------------------------------------------------------------------
step "dpkg -r"
dpkg -r loopsnap >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log"; fail "dpkg -r failed"; }
dpkg -P loopsnap >>"$work/dpkg-r.log" 2>&1 || fail "dpkg -P failed"
installed=0
status=$(dpkg-query -W -f='${Status}' loopsnap 2>/dev/null)
[ -z "$status" ] || [ "$status" = "unknown ok not-installed" ] || fail "dpkg still knows loopsnap: $status"
while read -r p; do
    [ -z "$p" ] && continue
    if [ -f "$p" ] || [ -L "$p" ]; then fail "$p left after dpkg -r"; fi
    case $p in
        */loopsnap | */loopsnap/*) [ -d "$p" ] && fail "directory $p left after dpkg -r" ;;
    esac
done <<<"$owned"
after_usr=$(find /usr -name '*loopsnap*' | sort)
[ "$before_usr" = "$after_usr" ] || fail "left under /usr: $(comm -13 <(echo "$before_usr") <(echo "$after_usr") | tr '\n' ' ')"

[ $failures -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "package $(basename "$deb") built, installed, ran and removed cleanly"
