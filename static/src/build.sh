#!/usr/bin/env bash
# Builds the Mark's front-end assets into static/ (run from any directory):
#   static/css/marks.css            compiled from marks.scss (compressed, no map)
#   static/js/govuk-frontend.min.js GOV.UK Frontend's ES module (+ its .map)
#   static/assets/images/...        only images that marks.css references
# No GDS Transport fonts, no crown favicons/icons/OpenGraph image/manifest.
# The built files are committed, so the app needs no npm at run time.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATIC="$(dirname "$SRC")"
GOVUK="$SRC/node_modules/govuk-frontend/dist/govuk"

cd "$SRC"
npm ci --no-audit --no-fund

mkdir -p "$STATIC/css" "$STATIC/js"
"$SRC/node_modules/.bin/sass" --pkg-importer=node --style=compressed --no-source-map \
  "$SRC/marks.scss" "$STATIC/css/marks.css"

cp "$GOVUK/govuk-frontend.min.js" "$GOVUK/govuk-frontend.min.js.map" "$STATIC/js/"

# Copy the images that the CSS references (url("/static/assets/images/NAME")).
rm -rf "$STATIC/assets"
refs="$(grep -o 'url([^)]*)' "$STATIC/css/marks.css" | sed -E 's/^url\(["'\'']?//; s/["'\'']?\)$//' | sort -u || true)"
for ref in $refs; do
  case "$ref" in
    /static/assets/images/*) name="${ref#/static/assets/images/}" ;;
    *) echo "build.sh: unexpected url() in marks.css: $ref" >&2; exit 1 ;;
  esac
  case "$name" in
    favicon* | govuk-icon* | govuk-opengraph* | govuk-crest* | manifest*)
      echo "build.sh: marks.css references crown asset $name" >&2; exit 1 ;;
  esac
  mkdir -p "$STATIC/assets/images"
  cp "$GOVUK/assets/images/$name" "$STATIC/assets/images/$name"
done

# Checks: no web fonts, and every url() resolves to a file under static/.
if grep -q 'font-face' "$STATIC/css/marks.css"; then
  echo "build.sh: marks.css contains @font-face" >&2; exit 1
fi
for ref in $refs; do
  [ -f "$STATIC/${ref#/static/}" ] || { echo "build.sh: missing $ref" >&2; exit 1; }
done

echo "Built $(wc -c < "$STATIC/css/marks.css") bytes of CSS; $(echo "$refs" | grep -c . || true) image(s) referenced."
