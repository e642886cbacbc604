#!/usr/bin/env bash
# Regenerates icons/ from icons/icon.svg (the source artwork) with the Tauri CLI's
# `icon` command, keeping only the files the desktop app uses.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
npx --yes @tauri-apps/cli@2 icon "$BUCKETDESK_ROOT/icons/icon.svg" -o "$out" >/dev/null
for f in 32x32.png 128x128.png 128x128@2x.png icon.png icon.ico icon.icns; do
    cp "$out/$f" "$BUCKETDESK_ROOT/icons/$f"
done
echo "icons: regenerated the PNG, ICO and ICNS files in icons/ from icons/icon.svg"
