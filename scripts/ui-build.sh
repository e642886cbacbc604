#!/usr/bin/env bash
# Builds the UI into ui/dist (`npm run build` in ui/) without touching files whose content
# did not change.
#
# The app embeds ui/dist at compile time and cargo tracks every file there by mtime: a
# rebuild that rewrites identical files would recompile and relink the app crate and all
# its test binaries on every `make test`. So identical files get their old mtime back.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
dist="$BUCKETDESK_ROOT/ui/dist"

before="$(mktemp -d "${TMPDIR:-/tmp}/bucketdesk-ui-dist.XXXXXX")"
trap 'rm -rf "$before"' EXIT
if [ -d "$dist" ]; then
    cp -a "$dist/." "$before/"
fi

(cd "$BUCKETDESK_ROOT/ui" && npm run build)

changed=0
while IFS= read -r -d '' file; do
    if [ -f "$before/$file" ] && cmp -s "$before/$file" "$dist/$file"; then
        touch -r "$before/$file" "$dist/$file"
    else
        changed=$((changed + 1))
    fi
done < <(cd "$dist" && find . -type f -print0)
echo "ui-build: $changed new or changed file(s) in ui/dist"
