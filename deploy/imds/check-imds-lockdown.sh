#!/bin/sh
# Checks the IMDS lock-down on a running VM, as root: the rules are loaded, armbridge's uid reaches
# IMDS, and every other user, root, a container on a bridge network and a host-network container
# under another uid, or under armbridge's uid but outside its cgroup, are refused; and the periodic
# check is scheduled. Prints one line per check; exits 1 if any check fails.
#
#   check-imds-lockdown [--uid UID] [--image IMAGE]
#     --uid    armbridge's uid (default 10001)
#     --image  an image that has node, for the container checks (default: the image the armbridge
#              container runs); without docker those checks report FAIL
set -u

uid=10001
image=""
while [ $# -gt 0 ]; do
  case "$1" in
    --uid) uid="${2:?--uid needs a value}"; shift 2 ;;
    --image) image="${2:?--image needs a value}"; shift 2 ;;
    *) echo "check-imds-lockdown: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" != 0 ]; then
  echo "check-imds-lockdown: run as root (it switches to other users)" >&2
  exit 2
fi

# The instance metadata document: proves reachability without asking for a token.
url='http://169.254.169.254/metadata/instance?api-version=2021-02-01'
failed=0
pass() { echo "PASS  $1"; }
fail() { echo "FAIL  $1"; failed=1; }

# Succeeds when an HTTP answer came back from IMDS (any status), fails when the connection was refused.
reaches_as() {
  setpriv --reuid="$1" --regid="$1" --clear-groups \
    curl -sS -o /dev/null --max-time 5 -H 'Metadata: true' "$url" 2>/dev/null
}

if nft list table inet armbridge_imds >/dev/null 2>&1; then
  rules=$(nft list table inet armbridge_imds)
  if printf '%s' "$rules" | grep -Eq "socket cgroupv2 level 1 \"armbridge.slice\" meta skuid (\{[^}]*\b$uid\b[^}]*\}|$uid) accept"; then
    pass "nftables table inet armbridge_imds is loaded and allows uid $uid in armbridge.slice only"
  else
    fail "nftables table inet armbridge_imds does not allow uid $uid in armbridge.slice (and only there)"
  fi
else
  fail "nftables table inet armbridge_imds is not loaded (systemctl status armbridge-imds-lockdown)"
fi

if systemctl is-active --quiet armbridge-imds-watch.timer; then
  pass "armbridge-imds-watch.timer checks the lock-down every minute"
else
  fail "armbridge-imds-watch.timer is not active (systemctl enable --now armbridge-imds-watch.timer)"
fi

# Outside armbridge.slice even uid 10001 is refused; armbridge itself runs inside it.
if reaches_as "$uid"; then fail "uid $uid outside armbridge.slice reaches IMDS"; else pass "uid $uid outside armbridge.slice is refused"; fi
if reaches_as 65534; then fail "uid 65534 (nobody) reaches IMDS"; else pass "uid 65534 (nobody) is refused"; fi
if reaches_as 0; then
  fail "root reaches IMDS (allowed by --uid 0 in the lock-down? then this is by choice)"
else
  pass "root is refused"
fi
for user in $(awk -F: '$3 >= 1000 && $3 < 60000 { print $1 }' /etc/passwd); do
  other=$(id -u "$user")
  [ "$other" = "$uid" ] && continue
  if reaches_as "$other"; then fail "user $user ($other) reaches IMDS"; else pass "user $user ($other) is refused"; fi
done

if command -v docker >/dev/null 2>&1; then
  [ -n "$image" ] || image=$(docker inspect --format '{{.Config.Image}}' armbridge 2>/dev/null || true)
  if [ -z "$image" ]; then
    fail "no image for the container checks: pass --image, or start the armbridge container"
  else
    probe="fetch('$url',{headers:{Metadata:'true'},signal:AbortSignal.timeout(5000)}).then(()=>process.exit(0),()=>process.exit(1))"
    if docker exec armbridge node -e "$probe" >/dev/null 2>&1; then
      pass "the armbridge container (uid $uid in armbridge.slice) reaches IMDS"
    else
      fail "the armbridge container cannot reach IMDS (is it running?)"
    fi
    if docker run --rm --network bridge --entrypoint node "$image" -e "$probe" >/dev/null 2>&1; then
      fail "a container on the bridge network reaches IMDS"
    else
      pass "a container on the bridge network is refused"
    fi
    if docker run --rm --network host --user 65534:65534 --entrypoint node "$image" -e "$probe" >/dev/null 2>&1; then
      fail "a host-network container under uid 65534 reaches IMDS"
    else
      pass "a host-network container under uid 65534 is refused"
    fi
    # armbridge's own uid borrowed by another container: refused, for it is not in armbridge.slice.
    if docker run --rm --network host --user 10001:10001 --entrypoint node "$image" -e "$probe" >/dev/null 2>&1; then
      fail "a host-network container under uid 10001 outside armbridge.slice reaches IMDS"
    else
      pass "a host-network container under uid 10001 outside armbridge.slice is refused"
    fi
  fi
else
  fail "docker is not installed: the container checks could not run"
fi

exit "$failed"
