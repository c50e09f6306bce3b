#!/usr/bin/env bash
# The files installer/helper/ installs for loopsnap-helper are valid and agree with the program:
# the polkit action validates against polkit's DTD (xmllint, package libxml2-utils; the DTD
# comes with polkitd), the bus policy is well-formed and a dbus-daemon accepts it, the
# activation file names the service, the installed program and root, and every name matches
# helper/helper_protocol.h.
#   helper_files.sh INSTALLER_DIR PROTOCOL_HEADER
set -uo pipefail
dir=$(realpath "$1")/helper
header=$2
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
command -v xmllint >/dev/null || { echo "FAIL: xmllint missing (package libxml2-utils)"; exit 1; }

constant() { sed -n "s/.*$1 = \"\\([^\"]*\\)\".*/\\1/p" "$header"; }
service=$(constant kServiceName)
interface=$(constant kInterface)
action=$(constant kPolkitAction)
[ -n "$service" ] && [ -n "$interface" ] && [ -n "$action" ] || fail "cannot read the names from $header"

policy=$dir/io.github.loopsnap.policy
conf=$dir/$service.conf
activation=$dir/$service.service
for f in "$policy" "$conf" "$activation"; do [ -f "$f" ] || fail "$f missing"; done

# polkit action: well-formed, valid against policyconfig-1.dtd, the action the helper checks.
xmllint --noout "$policy" || fail "$policy is not well-formed XML"
dtd=/usr/share/polkit-1/policyconfig-1.dtd
if [ -r "$dtd" ]; then
  xmllint --noout --dtdvalid "$dtd" "$policy" || fail "$policy does not validate against $dtd"
else
  fail "$dtd missing (package polkitd): the action cannot be validated"
fi
[ "$(xmllint --xpath 'string(/policyconfig/action/@id)' "$policy")" = "$action" ] || fail "the action id is not $action"
[ "$(xmllint --xpath 'string(/policyconfig/action/defaults/allow_active)' "$policy")" = auth_admin_keep ] ||
  fail "allow_active must be auth_admin_keep"
for key in allow_any allow_inactive; do
  value=$(xmllint --xpath "string(/policyconfig/action/defaults/$key)" "$policy")
  case $value in auth_admin|auth_admin_keep|no) ;; *) fail "$key is '$value' (must ask an administrator)";; esac
done

# Bus policy: only root owns the name; others may send to the helper's interface only.
xmllint --noout "$conf" || fail "$conf is not well-formed XML"
[ "$(xmllint --xpath "string(//policy[@user='root']/allow/@own)" "$conf")" = "$service" ] || fail "root does not own $service"
[ "$(xmllint --xpath "string(//policy[@context='default']/deny/@own)" "$conf")" = "$service" ] || fail "others may own $service"
xmllint --xpath "//policy[@context='default']/allow[@send_interface='$interface']" "$conf" >/dev/null 2>&1 ||
  fail "the default policy does not let callers reach $interface"
# A dbus-daemon that includes the policy starts (a broken file makes it refuse its config).
if command -v dbus-daemon >/dev/null; then
  tmp=$(mktemp -d)
  cat > "$tmp/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$tmp/socket</listen>
<policy context="default"><allow user="*"/></policy><include>$conf</include></busconfig>
CONF
  out=$(timeout 10 dbus-daemon --config-file="$tmp/bus.conf" --print-address=1 --nofork --nopidfile 2>&1 & pid=$!
        sleep 1; kill $pid 2>/dev/null; wait $pid 2>/dev/null)
  case $out in unix:*) ;; *) fail "dbus-daemon refused the policy: $out";; esac
  rm -rf "$tmp"
else
  fail "dbus-daemon missing (package dbus-daemon)"
fi

# Activation file.
grep -qx '\[D-BUS Service\]' "$activation" || fail "$activation has no [D-BUS Service] group"
grep -qx "Name=$service" "$activation" || fail "$activation: Name is not $service"
grep -qx 'Exec=/usr/libexec/loopsnap/loopsnap-helper' "$activation" || fail "$activation: Exec is not /usr/libexec/loopsnap/loopsnap-helper"
grep -qx 'User=root' "$activation" || fail "$activation: User is not root"

if [ "$failures" -gt 0 ]; then echo "$failures failed"; exit 1; fi
echo "helper files: ok"
