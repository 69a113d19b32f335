#!/bin/sh
# Switch the kiosk's screen off or on through the X server's DPMS extension, and say so.
#
#   screen-power.sh off|on        (DISPLAY, and XAUTHORITY where needed, name the X server)
#
# off: DPMS on, monitor forced off (the panel powers down; the kiosk keeps running).
# on:  monitor forced on, then DPMS off again, so the X server's own idle timeouts never
#      blank the screen during opening hours.
# Exit 1 with a clear line when there is no X server, or it has no DPMS extension (xset
# itself would print its usage and exit 0), or the monitor did not change. Used by
# roulette-kiosk-screen@.service.
set -eu
state=${1:-}
case "$state" in on|off) ;; *) echo "usage: $0 on|off" >&2; exit 2 ;; esac
command -v xset >/dev/null || { echo "screen-power: xset not found (apt-get install x11-xserver-utils)" >&2; exit 1; }
if ! query=$(xset q 2>&1); then
    echo "screen-power: no X server at DISPLAY=${DISPLAY:-(unset)}: $query" >&2
    exit 1
fi
if ! printf '%s\n' "$query" | grep -q "DPMS is"; then
    echo "screen-power: the X server at DISPLAY=$DISPLAY has no DPMS extension: the screen cannot be switched $state" >&2
    exit 1
fi
if [ "$state" = off ]; then
    xset +dpms
    xset dpms force off
    want="Monitor is Off"
else
    xset dpms force on
    xset -dpms
    want="DPMS is Disabled"
fi
query=$(xset q)
if ! printf '%s\n' "$query" | grep -q "$want"; then
    echo "screen-power: asked for $state, but the X server reports:" >&2
    printf '%s\n' "$query" | sed -n '/DPMS/,$p' >&2
    exit 1
fi
echo "screen-power: screen $state ($want)"
