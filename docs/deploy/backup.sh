#!/bin/bash
# Back up the database of the Social Media Friendly Mark (docs/deploy.md): one pg_dump archive
# (custom format: compressed, restored with restore.sh), checked readable, old ones removed.
#   backup.sh [DIRECTORY]      prints the archive's path
# DATABASE_URL comes from the environment, or else from /etc/marks/marks.env. Evidence files
# and certificates are in the database: this archive is everything.
set -euo pipefail
if [ -z "${DATABASE_URL:-}" ] && [ -z "${MARKS_ENV_READ:-}" ]; then
    # Run again with the settings, read as the units read them (a `$` stays a `$`).
    MARKS_ENV_READ=1 exec "$(dirname "$0")/marks-env" "${MARKS_ENV_FILE:-/etc/marks/marks.env}" "$0" "$@"
fi
: "${DATABASE_URL:?DATABASE_URL is not set}"
url=${DATABASE_URL/#postgresql+psycopg:/postgresql:}  # libpq's spelling
# A password in the URL goes to pg_dump in its environment, not on its command line, which
# `ps` shows to every user of the machine (libpq ends the user:password part at the first @).
if [[ $url =~ ^([a-z]+://[^@/:]*):([^@/]*)@(.*)$ ]]; then
    url="${BASH_REMATCH[1]}@${BASH_REMATCH[3]}"
    PGPASSWORD=$(ENCODED=${BASH_REMATCH[2]} python3 -Ic \
        'import os, urllib.parse; print(urllib.parse.unquote(os.environ["ENCODED"]), end="")')
    export PGPASSWORD
fi
directory=${1:-${BACKUP_DIR:-/var/backups/marks}}
keep_days=${KEEP_DAYS:-30}

umask 077
mkdir -p "$directory"
archive="$directory/marks-$(date -u +%Y%m%dT%H%M%SZ).dump"
trap 'rm -f "$archive.partial"' EXIT  # a failed dump leaves nothing that looks like a backup
pg_dump --format=custom --no-owner --no-privileges --file="$archive.partial" "$url"
pg_restore --list "$archive.partial" >/dev/null  # a readable archive, or no backup at all
mv "$archive.partial" "$archive"
find "$directory" -maxdepth 1 -name 'marks-*.dump' -mtime +"$keep_days" -delete
echo "$archive"
