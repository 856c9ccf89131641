#!/bin/sh
# The periodic check of the IMDS lock-down (armbridge-imds-watch.timer, every minute): is the table
# loaded, and does it still let only armbridge's cgroup and uid through? When it is not (someone ran
# `nft flush ruleset`, stopped nftables.service, or the cgroup it names was made anew), it logs an
# error to the journal, counts it in a metric and loads the rules again. Exits 1 after a repair, so
# the unit shows failed until the next good check.
#
#   watch-imds-lockdown [--metrics-file PATH] [--lockdown PATH] [--no-repair] [-- LOCKDOWN-ARGS...]
#     --metrics-file  a node_exporter textfile-collector file (default
#                     /var/lib/prometheus/node-exporter/armbridge-imds.prom)
#     --lockdown      the lock-down script (default /usr/local/sbin/armbridge-imds-lockdown)
#     --no-repair     only alert
#     LOCKDOWN-ARGS   what armbridge-imds-lockdown.service passes (--uid, --cgroup, --address)
set -u

metrics=/var/lib/prometheus/node-exporter/armbridge-imds.prom
lockdown=/usr/local/sbin/armbridge-imds-lockdown
repair=true
while [ $# -gt 0 ]; do
  case "$1" in
    --metrics-file) metrics="${2:?--metrics-file needs a value}"; shift 2 ;;
    --lockdown) lockdown="${2:?--lockdown needs a value}"; shift 2 ;;
    --no-repair) repair=false; shift ;;
    --) shift; break ;;
    *) echo "watch-imds-lockdown: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

# `<3>` makes the line an error in the journal (SyslogLevelPrefix), for a log alert to find.
alert() { echo "<3>armbridge-imds-lockdown: $1" >&2; }

# The rule the lock-down loads to let armbridge through, as nft lists it back: one uid prints
# without braces.
expected=$(sh "$lockdown" --print "$@" | grep ' accept$' | sed -e 's/^ *//' -e 's/{ \([0-9]*\) }/\1/') || exit 2
loaded=$(nft list table inet armbridge_imds 2>/dev/null | sed -e 's/^[[:space:]]*//' -e 's/ counter packets [0-9]* bytes [0-9]*//')

problem=""
if [ -z "$loaded" ]; then
  problem="the table inet armbridge_imds is not loaded: every process on the VM can reach IMDS"
elif ! printf '%s\n' "$loaded" | grep -qxF "$expected"; then
  problem="the table inet armbridge_imds no longer holds '$expected'"
elif [ "$(printf '%s\n' "$loaded" | grep -c 'reject with tcp reset')" -lt 2 ]; then
  problem="the table inet armbridge_imds has lost its refusals"
fi

previous=$(sed -n 's/^armbridge_imds_lockdown_repairs_total \([0-9]*\)$/\1/p' "$metrics" 2>/dev/null)
repairs=${previous:-0}
status=0
if [ -n "$problem" ]; then
  alert "$problem"
  status=1
  if [ "$repair" = true ]; then
    if sh "$lockdown" "$@"; then
      repairs=$((repairs + 1))
      alert "rules loaded again (repair $repairs)"
    else
      alert "could not load the rules again"
    fi
  fi
fi

in_force=$([ "$status" -eq 0 ] && echo 1 || echo 0)
mkdir -p "$(dirname "$metrics")"
cat > "$metrics.$$" <<METRICS
# HELP armbridge_imds_lockdown_in_force 1 when the last check found the IMDS lock-down loaded as configured, 0 when it had to alert.
# TYPE armbridge_imds_lockdown_in_force gauge
armbridge_imds_lockdown_in_force $in_force
# HELP armbridge_imds_lockdown_repairs_total Times the check found the lock-down missing or changed and loaded it again.
# TYPE armbridge_imds_lockdown_repairs_total counter
armbridge_imds_lockdown_repairs_total $repairs
# HELP armbridge_imds_lockdown_last_check_timestamp_seconds When the last check ran.
# TYPE armbridge_imds_lockdown_last_check_timestamp_seconds gauge
armbridge_imds_lockdown_last_check_timestamp_seconds $(date +%s)
METRICS
mv "$metrics.$$" "$metrics"
[ "$status" -eq 0 ] && echo "armbridge-imds-lockdown: in force"
exit "$status"
