#!/bin/sh
# Replays Event Grid dead-lettered events into armbridge. Event Grid writes each dead-lettered
# delivery as a blob (a JSON array) in the dead-letter container; download them, fix what made
# armbridge refuse them (a caller's audience, a source's schema, ...), then run this with the files:
#
#   replay-dead-letters.sh --url https://HOST/events/SOURCE [--token TOKEN] FILE...
#
# Each file's events are stripped of Event Grid's dead-letter fields and posted in their schema
# (CloudEvents as a batch, the Event Grid schema as an array), one file per request. The token is
# an Entra ID token of a caller the source lists (e.g. the operator's `az account get-access-token
# --resource api://armbridge`); armbridge de-duplicates on (source, id), so a replay of events that
# did get through is harmless. Needs curl and jq. Exits 1 after the first refused file.
set -eu

url=""
token=""
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url="${2:?--url needs a value}"; shift 2 ;;
    --token) token="${2:?--token needs a value}"; shift 2 ;;
    --) shift; break ;;
    -*) echo "replay-dead-letters: unknown option '$1'" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ -n "$url" ] && [ $# -gt 0 ] || { echo "usage: replay-dead-letters.sh --url URL [--token TOKEN] FILE..." >&2; exit 2; }

# The dead-letter fields Event Grid adds, in either schema (CloudEvents extension names are lowercase),
# and the `event` wrapper some dead-letter blobs use.
strip='[ (if type == "array" then .[] else . end) | (if has("event") and (.event | type) == "object" then .event else . end)
  | del(.deadLetterReason, .deliveryAttempts, .lastDeliveryOutcome, .lastHttpStatusCode, .publishTime,
        .lastDeliveryAttemptTime, .deadletterreason, .deliveryattempts, .lastdeliveryoutcome,
        .lasthttpstatuscode, .publishtime, .lastdeliveryattempttime) ]'

for file in "$@"; do
  events=$(jq -c "$strip" "$file")
  if [ "$(printf '%s' "$events" | jq 'all(has("specversion"))')" = true ]; then
    set -- -H 'content-type: application/cloudevents-batch+json; charset=utf-8'
  else
    set -- -H 'content-type: application/json; charset=utf-8' -H 'aeg-event-type: Notification'
  fi
  [ -z "$token" ] || set -- "$@" -H "authorization: Bearer $token"
  status=$(printf '%s' "$events" | curl -sS -o /dev/null -w '%{http_code}' --max-time 60 -X POST "$@" --data-binary @- "$url")
  echo "$file: $(printf '%s' "$events" | jq length) events, HTTP $status"
  case "$status" in 2??) ;; *) exit 1 ;; esac
done
