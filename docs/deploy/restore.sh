#!/bin/bash
# Restore a backup made by backup.sh into an EMPTY database (docs/deploy.md):
#   restore.sh ARCHIVE [DATABASE_URL]
# DATABASE_URL defaults to the environment's, or else /etc/marks/marks.env's. Everything is
# restored in one transaction: on any error nothing is.
set -euo pipefail
archive=${1:?usage: restore.sh ARCHIVE [DATABASE_URL]}
if [ -n "${2:-}" ]; then
    DATABASE_URL=$2
elif [ -z "${DATABASE_URL:-}" ] && [ -z "${MARKS_ENV_READ:-}" ]; then
    # Run again with the settings, read as the units read them (a `$` stays a `$`).
    MARKS_ENV_READ=1 exec "$(dirname "$0")/marks-env" "${MARKS_ENV_FILE:-/etc/marks/marks.env}" "$0" "$@"
fi
: "${DATABASE_URL:?DATABASE_URL is not set}"
url=${DATABASE_URL/#postgresql+psycopg:/postgresql:}
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$url" "$archive"
echo "Restored $archive"
