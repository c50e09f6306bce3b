#!/usr/bin/env bash
# ctest installer_metadata: the AppStream metainfo, the README and the About box state what
# installer/copyright states (read by installer/Upstream.cmake and passed in here), and the
# metainfo validates with appstreamcli (no network).
#   metadata.sh SOURCE_DIR HOMEPAGE CONTACT COPYRIGHT_HOLDER
set -euo pipefail
src=$1 homepage=$2 contact=$3 holder=$4
metainfo=$src/installer/io.github.loopsnap.Loopsnap.metainfo.xml
fail() { echo "installer_metadata: $*" >&2; exit 1; }
email=$(sed -n 's/.*<\([^>]*@[^>]*\)>.*/\1/p' <<<"$contact")
[ -n "$email" ] || fail "Upstream-Contact '$contact' names no e-mail address"
field() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$metainfo" | head -1; }
[ "$(sed -n 's:.*<url type="homepage">\(.*\)</url>.*:\1:p' "$metainfo")" = "$homepage" ] ||
  fail "metainfo homepage is not installer/copyright's Source ($homepage)"
[ "$(field developer_name)" = "$holder" ] || fail "metainfo developer_name '$(field developer_name)' is not the copyright holder '$holder'"
[ "$(field update_contact)" = "$email" ] || fail "metainfo update_contact '$(field update_contact)' is not Upstream-Contact's '$email'"
# Every URL in it is the homepage's or its raw files' (screenshots), never a guessed other site.
repo=${homepage#https://github.com/}
while read -r url; do
  case $url in
    "$homepage"|"$homepage"/*|https://raw.githubusercontent.com/"$repo"/*) ;;
    *) fail "metainfo URL $url is neither the homepage nor its files" ;;
  esac
done < <(grep -o 'https\?://[^<"]*' "$metainfo" | grep -v '^https\?://\(www\.\)\?\(freedesktop\|w3\)\.org')
grep -qF "$homepage" "$src/README.md" || fail "README does not state the homepage $homepage"
grep -qF "$email" "$src/README.md" || fail "README does not state the contact $email"
grep -qF 'LOOPSNAP_HOMEPAGE' "$src/ui/pages/MainWindow.cpp" || fail "the About box does not show the homepage"
appstreamcli validate --no-net "$metainfo" || fail "appstreamcli validate --no-net $metainfo"
echo "installer_metadata: homepage, developer and contact agree with installer/copyright; metainfo valid"
