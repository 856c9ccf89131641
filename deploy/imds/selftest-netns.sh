#!/bin/sh
# Runs the IMDS lock-down for real inside private network and mount namespaces, on a loopback address
# that stands in for IMDS, and checks who gets through: uid 10001 inside armbridge's cgroup must; the
# same uid outside that cgroup (another container started with --user 10001), and nobody, root and
# uid 1000 inside it must not. Then it flushes the ruleset, as a reload or restart of nftables.service
# does, and checks that the periodic check alerts, counts it in its metric and restores the rules.
# Needs root, nftables (nft), util-linux (unshare, setpriv), iproute2 (ip) and node. Nothing leaves
# the namespaces and the host's firewall is not touched; the test cgroup is removed afterwards.
#   sudo deploy/imds/selftest-netns.sh      (or: sudo env NODE="$(command -v node)" sh deploy/imds/selftest-netns.sh)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Other uids must be able to run node: a copy outside any private home directory. NODE names the
# binary when sudo's secure_path hides the caller's.
cp "${NODE:-$(command -v node)}" "$work/node"
chmod 755 "$work" "$work/node"

unshare --net --mount sh -eu -c '
  here=$1; work=$2; node=$work/node; cgroup=armbridge-selftest-$$; address=127.0.0.54
  # nft resolves cgroup paths under /sys/fs/cgroup: a host with cgroup v1 there gets v2 in this namespace.
  [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || mount -t cgroup2 none /sys/fs/cgroup
  mkdir "/sys/fs/cgroup/$cgroup"
  ip link set lo up
  "$node" -e "require(\"node:http\").createServer((q, s) => s.end(\"ok\")).listen(80, \"$address\")" &
  server=$!
  trap "kill $server; wait $server 2>/dev/null || true; rmdir /sys/fs/cgroup/$cgroup" EXIT
  probe="fetch(\"http://$address/\", { signal: AbortSignal.timeout(3000) }).then(() => process.exit(0), () => process.exit(1))"
  # Until the server answers (before any rule is loaded, so root may ask).
  tries=0
  until "$node" -e "$probe"; do tries=$((tries + 1)); [ $tries -lt 50 ] || exit 1; done

  lockdown() { sh "$here/armbridge-imds-lockdown.sh" --address $address --cgroup "$cgroup" "$@"; }
  watch() {
    sh "$here/watch-imds-lockdown.sh" --metrics-file "$work/imds.prom" \
      --lockdown "$here/armbridge-imds-lockdown.sh" -- --address $address --cgroup "$cgroup"
  }
  # Runs the probe as uid $1, in armbridge cgroup when $2 is "in": the socket takes the cgroup of
  # the process that opens it.
  reaches() {
    sh -c "[ \"\$1\" = in ] && echo \$\$ > /sys/fs/cgroup/$cgroup/cgroup.procs; exec setpriv --reuid=\$0 --regid=\$0 --clear-groups \"$node\" -e \"\$2\"" "$1" "$2" "$probe"
  }
  failed=0
  pass() { echo "PASS  $1"; }
  fail() { echo "FAIL  $1"; failed=1; }
  who() {
    if reaches 10001 in; then pass "$1: uid 10001 in the cgroup reaches it"; else fail "$1: uid 10001 in the cgroup is refused"; fi
    if reaches 10001 out; then fail "$1: uid 10001 outside the cgroup reaches it"; else pass "$1: uid 10001 outside the cgroup is refused"; fi
    for uid in 65534 0 1000; do
      if reaches $uid in; then fail "$1: uid $uid in the cgroup reaches it"; else pass "$1: uid $uid in the cgroup is refused"; fi
    done
    if reaches 0 out; then fail "$1: root outside the cgroup reaches it"; else pass "$1: root outside the cgroup is refused"; fi
  }

  lockdown
  lockdown  # loading twice is harmless
  who loaded
  if watch >/dev/null 2>&1; then pass "loaded: the check finds the lock-down in force"; else fail "loaded: the check alerts"; fi

  # What nftables.service does on start, restart and reload: /etc/nftables.conf begins with this.
  nft flush ruleset
  if reaches 65534 out; then pass "flushed: IMDS is open to every uid"; else fail "flushed: IMDS is still closed"; fi
  if watch 2>"$work/alert"; then fail "flushed: the check did not alert"; else pass "flushed: the check exits 1"; fi
  if grep -q "^<3>armbridge-imds-lockdown: the table inet armbridge_imds is not loaded" "$work/alert"; then pass "flushed: the check logs an error"; else fail "flushed: no error logged: $(cat "$work/alert")"; fi
  if grep -qx "armbridge_imds_lockdown_in_force 0" "$work/imds.prom" && grep -qx "armbridge_imds_lockdown_repairs_total 1" "$work/imds.prom"; then
    pass "flushed: the metric says 0 in force, 1 repair"
  else
    fail "flushed: the metric is $(cat "$work/imds.prom")"
  fi
  who repaired
  if watch >/dev/null 2>&1 && grep -qx "armbridge_imds_lockdown_in_force 1" "$work/imds.prom"; then pass "repaired: the check is content again"; else fail "repaired: the check still alerts"; fi

  # Replaced by rules that match the uid only: found and put right as well.
  sh "$here/armbridge-imds-lockdown.sh" --address $address --no-cgroup
  if watch 2>"$work/alert"; then fail "uid only: the check did not alert"; else pass "uid only: the check alerts"; fi
  if reaches 10001 out; then fail "uid only, repaired: uid 10001 outside the cgroup reaches it"; else pass "uid only, repaired: uid 10001 outside the cgroup is refused"; fi
  exit $failed
' selftest "$here" "$work"
