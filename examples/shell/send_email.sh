#!/bin/sh
# A Spool worker in plain shell, run by `spool work` once per job:
#
#   spool work --queue emails --exec examples/shell/send_email.sh --concurrency 5 --timeout 60s
#
# The contract (`spool work --help`, docs/cli.md): the job's payload arrives as JSON on stdin;
# SPOOL_JOB_ID, SPOOL_JOB_TYPE, SPOOL_QUEUE, SPOOL_ATTEMPT and SPOOL_MAX_ATTEMPTS are set.
# Exit 0: done, and stdout is the job's result (JSON if it parses, else a string).
# Exit 75 (EX_TEMPFAIL): try again later. Exit 65 (EX_DATAERR): the payload is wrong, do not
# retry (the job goes to dead). Anything else retries; stderr is the log and its tail becomes
# the job's error message.
#
# It sends a "funds released" email for a payload such as
#   {"transactionId":"esc-123","recipientEmail":"ana@example.com","amount":120000}
# through the SMTP server at SMTP_URL (e.g. smtp://localhost:1025; curl speaks SMTP) when that
# is set, and otherwise only logs what it would send.
set -u

payload=$(cat)

# One top-level field of the payload: with jq when it is installed, else with sed, which is
# enough for the flat payload above.
field() {
  if command -v jq >/dev/null 2>&1; then
    printf '%s' "$payload" | jq -r --arg key "$1" '.[$key] // empty | tostring' 2>/dev/null
  else
    printf '%s' "$payload" |
      sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\{0,1\}\([^\",}]*\).*/\1/p"
  fi
}

to=$(field recipientEmail)
transaction=$(field transactionId)
amount=$(field amount)

echo "job $SPOOL_JOB_ID (attempt $SPOOL_ATTEMPT of $SPOOL_MAX_ATTEMPTS): release email" \
  "for ${transaction:-?} to ${to:-?}" >&2

case "$to" in
  *?@?*) ;;
  *)
    echo "the payload has no usable recipientEmail (got '${to}'); not retrying" >&2
    exit 65 # EX_DATAERR
    ;;
esac

subject="Funds released for $transaction"
if [ -n "${SMTP_URL:-}" ]; then
  from=${MAIL_FROM:-spool@localhost}
  if ! printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nEscrow %s released %s.\r\n' \
    "$from" "$to" "$subject" "$transaction" "$amount" |
    curl --silent --show-error --max-time 30 --url "$SMTP_URL" \
      --mail-from "$from" --mail-rcpt "$to" --upload-file -; then
    echo "the SMTP server at $SMTP_URL did not take the message; trying again later" >&2
    exit 75 # EX_TEMPFAIL
  fi
  echo "sent to $to via $SMTP_URL" >&2
else
  echo "SMTP_URL is not set; would send to $to: \"$subject\" ($amount)" >&2
fi

# The result: JSON, built with jq when there is one so that odd characters are escaped.
if command -v jq >/dev/null 2>&1; then
  jq -cn --arg to "$to" --arg tx "$transaction" '{sent_to: $to, transaction: $tx}'
else
  printf '{"sent_to":"%s","transaction":"%s"}\n' "$to" "$transaction"
fi
