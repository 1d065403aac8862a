#!/bin/bash
# Restore a backup made by backup.sh into an EMPTY database (docs/deploy.md):
#   restore.sh ARCHIVE [DATABASE_NAME | DATABASE_URL]
# With a database's name (marks_restored), DATABASE_URL's server, user, password and options,
# with that database. DATABASE_URL is the environment's, or else /etc/marks/marks.env's. A
# password never goes on a command line (`ps` shows them to every user): name the database,
# or give a URL without one. Everything is restored in one transaction: on any error, nothing.
set -euo pipefail
archive=${1:?usage: restore.sh ARCHIVE [DATABASE_NAME | DATABASE_URL]}
target=${2:-}
if [[ $target == *://* ]]; then
    DATABASE_URL=$target
elif [ -z "${DATABASE_URL:-}" ] && [ -z "${MARKS_ENV_READ:-}" ]; then
    # Run again with the settings, read as the units read them (a `$` stays a `$`).
    MARKS_ENV_READ=1 exec "$(dirname "$0")/marks-env" "${MARKS_ENV_FILE:-/etc/marks/marks.env}" "$0" "$@"
fi
: "${DATABASE_URL:?DATABASE_URL is not set}"
url=${DATABASE_URL/#postgresql+psycopg:/postgresql:}  # libpq's spelling
if [ -n "$target" ] && [[ $target != *://* ]]; then
    if ! [[ $target =~ ^[A-Za-z0-9_.-]+$ ]]; then
        echo "restore.sh: $target: a database's name here is letters, digits, _, . and -" >&2
        exit 2
    fi
    [[ $url =~ ^([a-z]+://[^/?]*)(/[^?]*)?(\?.*)?$ ]]
    url="${BASH_REMATCH[1]}/$target${BASH_REMATCH[3]}"
fi
# A password in the URL goes to pg_restore in its environment, as in backup.sh.
if [[ $url =~ ^([a-z]+://[^@/:]*):([^@/]*)@(.*)$ ]]; then
    url="${BASH_REMATCH[1]}@${BASH_REMATCH[3]}"
    PGPASSWORD=$(ENCODED=${BASH_REMATCH[2]} python3 -Ic \
        'import os, urllib.parse; print(urllib.parse.unquote(os.environ["ENCODED"]), end="")')
    export PGPASSWORD
fi
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$url" "$archive"
echo "Restored $archive"
