#!/bin/sh
# Runs the IMDS lock-down for real inside a private network namespace, on a loopback address that
# stands in for IMDS, and checks who gets through: armbridge's uid must, nobody, root and uid 1000
# must not. Needs root, nftables (nft), util-linux (unshare, setpriv) and node. Nothing leaves the
# namespace, and the host's firewall is not touched.
#   sudo deploy/imds/selftest-netns.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Other uids must be able to run node: a copy outside any private home directory.
cp "$(command -v node)" "$work/node"
chmod 755 "$work" "$work/node"

unshare --net sh -eu -c '
  here=$1; node=$2; address=127.0.0.54
  ip link set lo up
  sh "$here/armbridge-imds-lockdown.sh" --address $address
  sh "$here/armbridge-imds-lockdown.sh" --address $address  # loading twice is harmless
  "$node" -e "require(\"node:http\").createServer((q, s) => s.end(\"ok\")).listen(80, \"$address\")" &
  server=$!
  trap "kill $server" EXIT
  sleep 1
  probe="fetch(\"http://$address/\", { signal: AbortSignal.timeout(3000) }).then(() => process.exit(0), () => process.exit(1))"
  reaches() { setpriv --reuid="$1" --regid="$1" --clear-groups "$node" -e "$probe"; }
  failed=0
  if reaches 10001; then echo "PASS  uid 10001 (armbridge) reaches it"; else echo "FAIL  uid 10001 is refused"; failed=1; fi
  for uid in 65534 0 1000; do
    if reaches $uid; then echo "FAIL  uid $uid reaches it"; failed=1; else echo "PASS  uid $uid is refused"; fi
  done
  exit $failed
' selftest "$here" "$work/node"
