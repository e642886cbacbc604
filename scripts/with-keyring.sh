#!/usr/bin/env bash
# Usage: scripts/with-keyring.sh CMD [ARGS...]
#
# Runs CMD inside a private D-Bus session with its own unlocked gnome-keyring, so tests
# use a real Secret Service and never touch the developer's own keychain:
#   - HOME, XDG_RUNTIME_DIR (mode 700) and the XDG data/config/cache dirs point into a
#     fresh temp dir, set before dbus-run-session so the keyring files land there;
#   - DISPLAY and WAYLAND_DISPLAY are unset: with a display, a locked collection opens
#     a password prompt and the call blocks forever;
#   - CARGO_HOME, RUSTUP_HOME and npm's cache keep pointing at the real ones;
#   - the bus activates no services: nothing but the keyring and CMD's own processes run
#     on it (no desktop portals mounting FUSE dirs under the temp dir, no a11y bus).
# Inside, BUCKETDESK_TEST_KEYRING=private tells the Rust keychain tests they may run.
# The temp dir is removed afterwards; CMD's exit status is returned.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

[ "$#" -ge 1 ] || die "usage: $0 CMD [ARGS...]"
for tool in dbus-run-session gnome-keyring-daemon dbus-send; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found: run scripts/setup.sh"
done

# Toolchains found through HOME keep their real location.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"
if [ -z "${PYENV_ROOT:-}" ] && [ -d "$HOME/.pyenv" ]; then
    export PYENV_ROOT="$HOME/.pyenv"
fi

keyring_home="$(mktemp -d "${TMPDIR:-/tmp}/bucketdesk-keyring.XXXXXX")"
cleanup() {
    # Should anything have mounted a FUSE dir in there, unmount it before removing.
    local mnt
    awk -v home="$keyring_home" 'index($2, home) == 1 { print $2 }' /proc/mounts |
        while read -r mnt; do
            fusermount -u -z "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
        done
    rm -rf "$keyring_home" 2>/dev/null || { sleep 1; rm -rf "$keyring_home"; }
}
trap cleanup EXIT

mkdir -p "$keyring_home/runtime" "$keyring_home/.local/share" "$keyring_home/.config" \
    "$keyring_home/.cache"
chmod 700 "$keyring_home" "$keyring_home/runtime"
export HOME="$keyring_home"
export XDG_RUNTIME_DIR="$keyring_home/runtime"
export XDG_DATA_HOME="$keyring_home/.local/share"
export XDG_CONFIG_HOME="$keyring_home/.config"
export XDG_CACHE_HOME="$keyring_home/.cache"
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
# GTK apps run inside (the GUI tests) would look for the accessibility bus: not here.
export NO_AT_BRIDGE=1

# A session bus like the standard one, but with no service directories.
cat >"$keyring_home/bus.conf" <<BUS
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir=$XDG_RUNTIME_DIR</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
BUS

# The password is only for this throwaway keyring.
set +e
dbus-run-session --config-file="$keyring_home/bus.conf" -- bash -c '
    set -euo pipefail
    echo -n bucketdesk-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    for _ in $(seq 100); do
        if dbus-send --session --dest=org.freedesktop.DBus --print-reply /org/freedesktop/DBus \
            org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
            grep -q "boolean true"; then
            export BUCKETDESK_TEST_KEYRING=private
            exec "$@"
        fi
        sleep 0.1
    done
    echo "with-keyring: org.freedesktop.secrets did not appear on the private bus within 10 s" >&2
    exit 1
' with-keyring "$@"
status=$?
set -e
exit "$status"
