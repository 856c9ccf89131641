#!/bin/sh
# Lets only armbridge reach the Instance Metadata Service (IMDS), where the VM's managed identity
# hands out tokens. Every other process on the VM (any other user, root included) and every
# container on a bridge network is refused, so no one but armbridge can act as the identity.
#
# armbridge runs with the host's network and the fixed uid 10001 (the Dockerfile's USER); nftables
# tells its packets apart by the uid of the socket that sends them. Reject, not drop: a refused
# client fails at once instead of hanging until its timeout.
#
#   armbridge-imds-lockdown [--uid UID]... [--address IPV4] [--print]
#     --uid      a uid allowed to reach IMDS (default 10001; repeat to allow more, e.g. 0 for an
#                agent that needs IMDS; each one is allowed to act as the identity)
#     --address  the IMDS address (default 169.254.169.254)
#     --print    print the ruleset instead of loading it
set -eu

address=169.254.169.254
uids=""
print=false
while [ $# -gt 0 ]; do
  case "$1" in
    --uid) uids="$uids ${2:?--uid needs a value}"; shift 2 ;;
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
allowed=$(printf '%s' "$uids" | sed -e 's/^ *//' -e 's/ \{1,\}/, /g')

ruleset() {
  # Declaring the table first makes the delete succeed on the first run: loading is idempotent.
  cat <<RULES
table inet armbridge_imds
delete table inet armbridge_imds
table inet armbridge_imds {
  chain output {
    type filter hook output priority filter; policy accept;
    ip daddr $address meta skuid { $allowed } accept
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
