#!/usr/bin/env bash
# Usage: scripts/package.sh   (make package)
#        PACKAGE_PROFILE=debug scripts/package.sh   (make test's package step)
#
# Builds the installable packages: a release build of the app with the UI embedded, bundled
# by the Tauri CLI into a .deb and an .rpm (icons, desktop entry, declared dependencies; see
# "bundle" in tauri.conf.json). With PACKAGE_PROFILE=debug it bundles the debug build
# instead (the one the GUI tests just built, so only the bundling is new work): the same
# package layout, for `make test` to install and run without a release build. Both
# bundlers are written in Rust and use nothing but what is on this machine. AppImage is left out: its bundler downloads linuxdeploy and its plugins at
# bundle time.
#
# The Tauri CLI is the npm package @tauri-apps/cli (a prebuilt binary), installed once into
# $BUCKETDESK_TOOLS/tauri-cli, outside the clone and outside ui/'s own dependencies.
# A cold release build takes about 20 minutes on 2 cores; later ones only relink the app.
# The packages land in $CARGO_TARGET_DIR/release/bundle/{deb,rpm}/; the last line printed
# is the .deb's path.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$BUCKETDESK_ROOT"

# Keep in step with the tauri crate in Cargo.lock (the CLI refuses mismatched minors).
TAURI_CLI_VERSION="2.12.5"
cli_dir="$BUCKETDESK_TOOLS/tauri-cli"
tauri="$cli_dir/node_modules/.bin/tauri"

step "setup"
"$BUCKETDESK_ROOT/scripts/setup.sh"
if ! "$tauri" --version 2>/dev/null | grep -qxF "tauri-cli $TAURI_CLI_VERSION"; then
    step "installing @tauri-apps/cli $TAURI_CLI_VERSION into $cli_dir"
    mkdir -p "$cli_dir"
    npm install --no-audit --no-fund --prefix "$cli_dir" "@tauri-apps/cli@$TAURI_CLI_VERSION"
fi

step "UI build (npm run build, unchanged files keep their mtime)"
"$BUCKETDESK_ROOT/scripts/ui-build.sh"

profile="${PACKAGE_PROFILE:-release}"
case "$profile" in
    release) profile_flag=(); profile_dir=release ;;
    debug) profile_flag=(--debug); profile_dir=debug ;;
    *) die "PACKAGE_PROFILE must be release or debug, not '$profile'" ;;
esac
step "$profile build and bundles (tauri build ${profile_flag[*]} --bundles deb,rpm)"
# The UI is built just above, keeping unchanged files' mtimes: the CLI's own
# beforeBuildCommand would rewrite them all. The crate's features are the ones every other
# build uses (BUCKETDESK_FEATURES), so the build is the one cargo already has.
"$tauri" build --ci "${profile_flag[@]}" --features "$BUCKETDESK_FEATURES" --bundles deb,rpm \
    --config '{"build":{"beforeBuildCommand":""}}'

bundle="$CARGO_TARGET_DIR/$profile_dir/bundle"
version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' tauri.conf.json)"
deb="$(ls -t "$bundle"/deb/*_"$version"_*.deb | head -n 1)"
rpm="$(ls -t "$bundle"/rpm/*-"$version"-*.rpm | head -n 1)"
[ -f "$deb" ] || die "no .deb for version $version in $bundle/deb"
step "packages"
echo "rpm: $rpm"
echo "deb: $deb"
echo "$deb"
