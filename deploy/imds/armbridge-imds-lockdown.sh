#!/bin/sh
# Lets only armbridge reach the Instance Metadata Service (IMDS), where the VM's managed identity
# hands out tokens. Every other process on the VM (any other user, root included) and every
# container on a bridge network is refused, so no one but armbridge can act as the identity.
#
# armbridge runs with the host's network under its own cgroup (`docker run --cgroup-parent
# armbridge.slice`) and the fixed uid 10001 (the Dockerfile's USER). A packet to IMDS passes only
# when the socket that sends it belongs to that cgroup AND to that uid: another container started
# with `--user 10001` lands in its own cgroup and is refused. Reject, not drop: a refused client
# fails at once instead of hanging until its timeout.
#
#   armbridge-imds-lockdown [--uid UID]... [--cgroup PATH | --no-cgroup] [--address IPV4] [--print]
#     --uid        a uid allowed to reach IMDS (default 10001; repeat to allow more; each one, in the
#                  cgroup, may act as the identity)
#     --cgroup     the cgroup v2 path, relative to /sys/fs/cgroup, armbridge's sockets must belong to
#                  (default armbridge.slice); it must exist when the rules load (nft resolves it then)
#     --no-cgroup  match the uid only (hosts without cgroup v2; any process of that uid gets through)
#     --address    the IMDS address (default 169.254.169.254)
#     --print      print the ruleset instead of loading it
set -eu

address=169.254.169.254
uids=""
cgroup=armbridge.slice
print=false
while [ $# -gt 0 ]; do
  case "$1" in
    --uid) uids="$uids ${2:?--uid needs a value}"; shift 2 ;;
    --cgroup) cgroup="${2:?--cgroup needs a value}"; shift 2 ;;
    --no-cgroup) cgroup=""; shift ;;
    --address) address="${2:?--address needs a value}"; shift 2 ;;
    --print) print=true; shift ;;
    *) echo "armbridge-imds-lockdown: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$uids" ] || uids=10001
for uid in $uids; do
  case "$uid" in
    ''|*[!0-9]*) echo "armbridge-imds-lockdown: --uid must be a number, not '$uid'" >&2; exit 2 ;;
  esac
done
if ! printf '%s' "$address" | grep -Eq '^([0-9]{1,3}\.){3}[0-9]{1,3}$'; then
  echo "armbridge-imds-lockdown: --address must be an IPv4 address, not '$address'" >&2
  exit 2
fi
match=""
if [ -n "$cgroup" ]; then
  # Names of cgroups systemd or Docker make: letters, digits, . _ - and / between them; no '..'.
  if ! printf '%s' "$cgroup" | grep -Eq '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$' || printf '%s' "$cgroup" | grep -q '\.\.'; then
    echo "armbridge-imds-lockdown: --cgroup must be a cgroup path such as armbridge.slice, not '$cgroup'" >&2
    exit 2
  fi
  # nftables compares the socket's ancestor at this depth of the cgroup v2 tree.
  level=$(printf '%s' "$cgroup" | awk -F/ '{ print NF }')
  match="socket cgroupv2 level $level \"$cgroup\" "
fi
allowed=$(printf '%s' "$uids" | sed -e 's/^ *//' -e 's/ \{1,\}/, /g')

ruleset() {
  # Declaring the table first makes the delete succeed on the first run: loading is idempotent.
  cat <<RULES
table inet armbridge_imds
delete table inet armbridge_imds
table inet armbridge_imds {
  chain output {
    type filter hook output priority filter; policy accept;
    ip daddr $address ${match}meta skuid { $allowed } accept
    ip daddr $address limit rate 6/minute log prefix "armbridge-imds-refused "
    ip daddr $address meta l4proto tcp counter reject with tcp reset
    ip daddr $address counter reject with icmpx type admin-prohibited
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    ip daddr $address limit rate 6/minute log prefix "armbridge-imds-refused "
    ip daddr $address meta l4proto tcp counter reject with tcp reset
    ip daddr $address counter reject with icmpx type admin-prohibited
  }
}
RULES
}

if [ "$print" = true ]; then
  ruleset
else
  ruleset | nft -f -
fi
