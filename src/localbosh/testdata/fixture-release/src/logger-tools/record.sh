#!/bin/bash
# record HOOK [ARG...]: appends one JSON line describing this invocation of a
# lifecycle hook to $LOGGER_RECORD_FILE. Set RECORD_MONIT=0 where monit must
# not be asked (inside monit's own start and stop programs).
set -eu

json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

json_env() {
  local name=$1
  if [ -z "${!name+set}" ]; then
    printf 'null'
  else
    json_string "${!name}"
  fi
}

hook=$1
shift

args=""
for a in "$@"; do
  args="${args:+$args,}$(json_string "$a")"
done

monit_status=null
if [ "${RECORD_MONIT:-1}" != 0 ]; then
  status=$(monit -c /var/vcap/monit/monitrc status logger -B 2>/dev/null | sed -n 's/^  monitoring status  *//p' || true)
  monit_status=$(json_string "${status:-unknown}")
fi

running=false
if [ -s "$LOGGER_PIDFILE" ] && kill -0 "$(cat "$LOGGER_PIDFILE")" 2>/dev/null; then
  running=true
fi

line="{\"time_ns\":$(date +%s%N),\"hook\":$(json_string "$hook"),\"args\":[$args]"
line="$line,\"instance\":$(json_string "$LOGGER_INSTANCE"),\"index\":$LOGGER_INDEX"
line="$line,\"env\":{"
sep=""
for name in BOSH_JOB_STATE BOSH_JOB_NEXT_STATE BOSH_INSTANCE_NEXT_STATE BOSH_DEPLOYMENT_NEXT_STATE BOSH_VM_NEXT_STATE; do
  line="$line$sep\"$name\":$(json_env "$name")"
  sep=","
done
line="$line},\"monit\":$monit_status,\"process_running\":$running,\"tool\":\"@VERSION@\"}"

mkdir -p "$(dirname "$LOGGER_RECORD_FILE")"
# One short write with O_APPEND: lines of parallel hooks never interleave.
printf '%s\n' "$line" >> "$LOGGER_RECORD_FILE"
