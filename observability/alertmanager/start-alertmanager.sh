#!/bin/sh
# Starts Alertmanager with the webhook receiver's URL taken from ALERTMANAGER_WEBHOOK_URL.
# Alertmanager reads no environment variables in its configuration, so this writes the URL into a
# copy of alertmanager.yml (in place of ${ALERTMANAGER_WEBHOOK_URL}) and starts it on that copy.
# Plain POSIX sh and awk: it runs in the official image (busybox) as well as on a host.
#
#   ALERTMANAGER_WEBHOOK_URL      required: the http(s) URL that receives the alerts
#   ALERTMANAGER_CONFIG           the configuration to fill in (default: alertmanager.yml beside this script)
#   ALERTMANAGER_RENDERED_CONFIG  where the filled-in copy goes (default: /alertmanager/alertmanager.yml,
#                                 the data volume, which the image's user may write)
#   ALERTMANAGER_BIN              the binary (default: /bin/alertmanager, as in the official image)
# Other arguments are passed on to Alertmanager.
set -eu

template="${ALERTMANAGER_CONFIG:-$(dirname "$0")/alertmanager.yml}"
rendered="${ALERTMANAGER_RENDERED_CONFIG:-/alertmanager/alertmanager.yml}"

# The URL is never printed: a webhook URL often carries its own token.
case "${ALERTMANAGER_WEBHOOK_URL:-}" in
  http://?* | https://?*) ;;
  *)
    echo "start-alertmanager: set ALERTMANAGER_WEBHOOK_URL to the http(s) URL that should receive the alerts" >&2
    exit 1
    ;;
esac
case "$ALERTMANAGER_WEBHOOK_URL" in
  *'"'* | *'\'* | *' '*)
    # It goes inside a double-quoted YAML string.
    echo "start-alertmanager: ALERTMANAGER_WEBHOOK_URL may not contain quotes, backslashes or spaces (percent-encode them)" >&2
    exit 1
    ;;
esac

# index/substr rather than sub(): a URL's & and \ must not be read as replacement syntax.
awk 'BEGIN { placeholder = "${ALERTMANAGER_WEBHOOK_URL}" }
  {
    at = index($0, placeholder)
    if (at > 0) $0 = substr($0, 1, at - 1) ENVIRON["ALERTMANAGER_WEBHOOK_URL"] substr($0, at + length(placeholder))
    print
  }' "$template" >"$rendered"

exec "${ALERTMANAGER_BIN:-/bin/alertmanager}" --config.file="$rendered" "$@"
