#!/usr/bin/env bash
# Install roulette kiosk as a systemd service. Idempotent: run it again to update the code.
#
#   sudo systemd/install.sh [--dry-run] [--start] [--no-enable] [--hours] [--prefix DIR]
#                           [--wheels DIR]
#
#   --dry-run     print every step, change nothing (no root needed)
#   --start       (re)start the service at the end
#   --wheels DIR  install Python packages offline from a wheelhouse, made beforehand on a
#                 connected machine of the same kind with: pip download --no-deps
#                 --require-hashes -r requirements/lock.txt -d DIR (the hashes still checked)
#   --prefix DIR  install below DIR instead of / (DIR/opt/roulette-kiosk, DIR/etc/...; the
#                 units installed there name those paths): CI installs this way, everything
#                 but systemctl itself, and runs the kiosk the way the unit starts it
#   --no-enable   install but do not enable at boot
#   --hours       only steps 4-6: apply /etc/roulette-kiosk/kiosk.yaml's opening hours and
#                 Prometheus folder to systemd (after editing hours.* or
#                 service.prometheus_textfile); seconds, nothing else is touched
#
# What it does:
#   0. installs the system packages the service needs (apt): the compositor cage and Xwayland
#      (the service's screen), python3-venv, OpenCV's and MediaPipe's native libraries, and
#      espeak-ng (audio.speak; always, so speech can be turned on later with no network);
#   1. creates the system user `kiosk` (no login, home /var/lib/roulette-kiosk) in the
#      groups video, render, input and audio (those that exist);
#   2. copies the project (code, models, wordnet_labels, config) to /opt/roulette-kiosk/app
#      and installs it into the virtual environment /opt/roulette-kiosk/venv, made with the
#      system's Python ($PYTHON, default /usr/bin/python3: 3.11, 3.12 or 3.13) from the
#      sha256-pinned lock (scripts/make_venv.sh, as scripts/setup.sh; the GPU runtime too where
#      an NVIDIA driver is present), and builds the GPU's person model there;
#   3. copies config/kiosk.yaml to /etc/roulette-kiosk/kiosk.yaml ONLY if that file does not
#      exist yet (an installer's edits are never overwritten), and the JSON schema beside it;
#   4. installs the units to /etc/systemd/system (the kiosk; the opening-hours timers and
#      services; the screen on/off service) and checks them with `systemd-analyze verify`, and
#      the PAM file of the kiosk's console session to /etc/pam.d/roulette-kiosk;
#   5. writes the drop-ins kiosk.yaml asks for (python -m kiosk.service.units): the hours
#      into the timers, the Prometheus textfile's folder into ReadWritePaths= (that folder
#      made and opened to the user kiosk), and verifies again;
#   6. reloads systemd and enables: the kiosk at boot without hours; with hours (stop) the
#      timers and roulette-kiosk-open.service at boot instead (it starts the kiosk only
#      within the hours); with hours (blank) the kiosk and the timers.
set -euo pipefail

NAME=roulette-kiosk
USER_NAME=kiosk
# The service's interpreter: the system's own (readable by the user kiosk, kept by apt).
PYTHON=${PYTHON:-/usr/bin/python3}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# What apt must bring for the service to run and show (not the tests' tools). espeak-ng (the
# speech of audio.speak, ~10 MB with its voices) always, whether speech is on or not: the
# kiosk's configuration is edited on site, often with no network left, and turning speech on
# must then be a setting and a restart, not an apt-get that cannot run.
APT_PACKAGES=(python3-venv cage xwayland libgl1 libegl1 libgles2 libglib2.0-0 libseccomp2 v4l-utils
              espeak-ng)

DRY=0 START=0 ENABLE=1 HOURS_ONLY=0 ROOT=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY=1 ;;
        --start) START=1 ;;
        --no-enable) ENABLE=0 ;;
        --hours) HOURS_ONLY=1 ;;
        --prefix) ROOT=$(realpath -m "${2:?--prefix needs a folder}"); shift ;;
        --wheels) export PIP_NO_INDEX=1 PIP_FIND_LINKS; PIP_FIND_LINKS=$(realpath "${2:?--wheels needs a folder}"); shift ;;
        -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
PREFIX=$ROOT/opt/$NAME
APP=$PREFIX/app
VENV=$PREFIX/venv
ETC=$ROOT/etc/$NAME
STATE=/var/lib/$NAME
UNIT_DIR=$ROOT/etc/systemd/system
PAM_DIR=$ROOT/etc/pam.d

run() {
    echo "+ $(printf '%q ' "$@")"
    if [ "$DRY" -eq 0 ]; then "$@"; fi
}

step() { echo; echo "== $*"; }

if [ "$DRY" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (sudo), or with --dry-run to see the steps" >&2
    exit 1
fi
for f in "$SRC/systemd/$NAME.service" "$SRC/config/kiosk.yaml" "$SRC/pyproject.toml"; do
    [ -f "$f" ] || { echo "install.sh: $f missing: run from a full checkout" >&2; exit 1; }
done

UNITS=("$NAME.service" "$NAME-open.timer" "$NAME-close.timer" "$NAME-open.service"
       "$NAME-close.service" "$NAME-screen@.service")
# what `verify` can check (the template only through an instance)
VERIFY=("$NAME.service" "$NAME-open.timer" "$NAME-close.timer" "$NAME-open.service"
        "$NAME-close.service")
for unit in "${UNITS[@]}"; do
    [ -f "$SRC/systemd/$unit" ] || { echo "install.sh: $SRC/systemd/$unit missing" >&2; exit 1; }
done

if [ "$HOURS_ONLY" -eq 0 ]; then
step "0. system packages"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    run apt-get update -qq
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    echo "all present: ${APT_PACKAGES[*]}"
fi

step "1. system user $USER_NAME"
groups=""
for g in video render input audio; do
    if getent group "$g" >/dev/null; then groups="${groups:+$groups,}$g"; fi
done
if id "$USER_NAME" >/dev/null 2>&1; then
    echo "user $USER_NAME exists"
    if [ -n "$groups" ]; then run usermod --append --groups "$groups" "$USER_NAME"; fi
else
    run useradd --system --user-group --home-dir "$STATE" --no-create-home \
        --shell /usr/sbin/nologin ${groups:+--groups "$groups"} \
        --comment "roulette kiosk service" "$USER_NAME"
fi

step "2. code to $APP, virtual environment $VENV"
if [ -n "$ROOT" ]; then run install -d -m 0755 "$ROOT"; fi  # the user kiosk reaches the venv
run mkdir -p "$PREFIX"
run chmod 0755 "$PREFIX"
# copy into a fresh folder, then swap, so a failed copy never leaves half an install
run rm -rf "$APP.new"
run mkdir -p "$APP.new"
if [ "$DRY" -eq 0 ]; then
    tar -C "$SRC" --exclude='./.venv*' --exclude=./.git --exclude=./models/person_steady --exclude='*.egg-info' \
        --exclude='__pycache__' --exclude=./.pytest_cache --exclude=./.ruff_cache \
        -cf - . | tar -C "$APP.new" -xf -
else
    echo "+ tar -C $SRC --exclude=.venv --exclude=.git ... -cf - . | tar -C $APP.new -xf -"
fi
run rm -rf "$APP.old"
if [ -d "$APP" ]; then run mv "$APP" "$APP.old"; fi
run mv "$APP.new" "$APP"
run rm -rf "$APP.old"
run chown -R root:root "$APP"
run chmod -R go-w,a+rX "$APP"
# The lock, hash-checked, into the venv (made anew when the lock or Python changes); the kiosk
# editable, so the config's relative paths (models/, wordnet_labels/) resolve inside $APP.
run env PYTHON="$PYTHON" "$APP/scripts/make_venv.sh" "$VENV" "$APP"
run env -C "$APP" "$VENV/bin/python" -m scripts.modelbuild.build_person_head --view-set steady \
    --out-dir "$APP/models/person_steady" --if-stale

step "3. configuration in $ETC"
run install -d -m 0755 "$ETC"
if [ -f "$ETC/kiosk.yaml" ]; then
    echo "$ETC/kiosk.yaml exists: kept (compare with $APP/config/kiosk.yaml after updates)"
else
    run install -m 0644 "$SRC/config/kiosk.yaml" "$ETC/kiosk.yaml"
fi
if [ -f "$SRC/config/kiosk.schema.json" ]; then
    run install -m 0644 "$SRC/config/kiosk.schema.json" "$ETC/kiosk.schema.json"
fi

fi  # steps 1-3

step "4. systemd units"
run install -d -m 0755 "$UNIT_DIR" "$PAM_DIR"
for unit in "${UNITS[@]}"; do
    if [ -n "$ROOT" ]; then  # the unit names the paths below the prefix
        echo "+ sed 's#/opt/$NAME#$PREFIX#g; s#/etc/$NAME#$ETC#g' $SRC/systemd/$unit > $UNIT_DIR/$unit"
        if [ "$DRY" -eq 0 ]; then
            sed "s#/opt/$NAME#$PREFIX#g; s#/etc/$NAME#$ETC#g" "$SRC/systemd/$unit" > "$UNIT_DIR/$unit"
            chmod 0644 "$UNIT_DIR/$unit"
        fi
    else
        run install -m 0644 "$SRC/systemd/$unit" "$UNIT_DIR/$unit"
    fi
done
run install -m 0644 "$SRC/systemd/$NAME.pam" "$PAM_DIR/$NAME"
verify() {
    if command -v systemd-analyze >/dev/null; then
        run systemd-analyze verify "${VERIFY[@]/#/$UNIT_DIR/}"
    fi
}
verify

step "5. opening hours and monitoring from $ETC/kiosk.yaml"
PY=$VENV/bin/python CONF=$ETC/kiosk.yaml
if [ "$DRY" -eq 1 ]; then  # a dry run on a machine without the install: the checkout's own
    [ -x "$PY" ] || PY=$SRC/.venv/bin/python
    [ -f "$CONF" ] || CONF=$SRC/config/kiosk.yaml
fi
HOURS=off TEXTFILE_DIR=""
if [ -x "$PY" ]; then
    plan=$("$PY" -m kiosk.service.units plan --config "$CONF")
    eval "$plan"  # HOURS=off|stop|blank, TEXTFILE_DIR=folder or empty (shell-quoted)
    echo "hours: $HOURS; Prometheus textfile folder: ${TEXTFILE_DIR:-none}"
    units_args=(write --config "$CONF" --unit-dir "$UNIT_DIR")
    if [ "$DRY" -eq 1 ]; then units_args+=(--dry-run); fi
    echo "+ $PY -m kiosk.service.units ${units_args[*]}"
    "$PY" -m kiosk.service.units "${units_args[@]}"
else
    echo "no $PY yet: hours and monitoring are applied once it is installed"
fi
if [ -n "$TEXTFILE_DIR" ]; then
    run install -d -m 0755 "$TEXTFILE_DIR"
    # node_exporter reads the folder; the kiosk writes a temporary file there and renames it
    if command -v setfacl >/dev/null; then
        run setfacl -m "u:$USER_NAME:rwx" "$TEXTFILE_DIR"
    else
        run chgrp "$USER_NAME" "$TEXTFILE_DIR"
        run chmod g+rwx "$TEXTFILE_DIR"
    fi
fi
verify

step "6. enable"
if [ -n "$ROOT" ]; then
    echo "installed below $ROOT: nothing enabled (systemctl would start the units in /etc)"
elif [ -d /run/systemd/system ]; then
    run systemctl daemon-reload
    timers=("$NAME-open.timer" "$NAME-close.timer")
    if [ "$ENABLE" -eq 1 ]; then
        case "$HOURS" in
            off)   run systemctl disable --now "${timers[@]}"
                   run systemctl disable "$NAME-open.service"
                   run systemctl enable "$NAME.service" ;;
            stop)  run systemctl enable --now "${timers[@]}"
                   run systemctl enable "$NAME-open.service"
                   run systemctl disable "$NAME.service"  # at boot: $NAME-open.service decides
                   ;;
            blank) run systemctl enable --now "${timers[@]}"
                   run systemctl disable "$NAME-open.service"
                   run systemctl enable "$NAME.service" ;;
        esac
        if [ "$HOURS" != off ]; then run systemctl list-timers --all "$NAME-*"; fi
    fi
    if [ "$START" -eq 1 ]; then run systemctl restart "$NAME.service"; fi
else
    echo "systemd is not running here: enable it later with systemctl enable $NAME"
    if [ "$HOURS" != off ]; then
        echo "(opening hours: systemctl enable --now $NAME-open.timer $NAME-close.timer)"
    fi
fi

step "done"
cat <<EOF
Check the installation:   sudo -u $USER_NAME $VENV/bin/kiosk doctor --config $ETC/kiosk.yaml
Start / status / log:     systemctl start $NAME; systemctl status $NAME; journalctl -u $NAME -f
Edit the configuration:   $ETC/kiosk.yaml (then: systemctl restart $NAME)
EOF
