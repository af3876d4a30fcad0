# Shared install helpers for the end-to-end suites (tests/conformance/run.sh,
# tests/quorum/run.sh). Source it; the caller defines log() and die() and sets
# LOGS to an existing directory (apt output goes to $LOGS/apt.log, venv/pip
# output to $LOGS/venv.log).
#
#   apt_install PKG...                   apt-get install (one apt-get update per run); dies
#                                        when not root
#   ensure_debs [--jdk] PKG...           installs the PKGs dpkg does not report installed;
#                                        --jdk: also default-jdk-headless if javac is missing
#   ensure_venv VENV REQUIREMENTS STAMP  python venv at VENV with `pip install -r
#                                        REQUIREMENTS`, skipped when VENV/STAMP equals
#                                        REQUIREMENTS (a copy is written after a good install)
#
# PY_BOOT (default: $PYTHON or python3) is the interpreter that creates venvs.
# APT_LOCK_TIMEOUT (seconds, default 0 = apt's default: fail at once) makes apt-get wait
# that long for the dpkg lock another apt-get holds.

_INSTALL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY_BOOT="${PY_BOOT:-${PYTHON:-python3}}"

APT_UPDATED=0
apt_install() { # packages...
    [ $# -gt 0 ] || return 0
    local _apt_lock=()
    if [ "${APT_LOCK_TIMEOUT:-0}" != 0 ]; then
        _apt_lock=(-o "DPkg::Lock::Timeout=$APT_LOCK_TIMEOUT")
    fi
    if [ "$(id -u)" != 0 ]; then
        die "missing packages ($*) and not root: install them with apt-get"
    fi
    if [ "$APT_UPDATED" = 0 ]; then
        log "apt-get update"
        apt-get update -qq "${_apt_lock[@]}" >"$LOGS/apt.log" 2>&1 || die "apt-get update failed (see $LOGS/apt.log)"
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${_apt_lock[@]}" "$@" \
        >>"$LOGS/apt.log" 2>&1 || die "apt-get install $* failed (see $LOGS/apt.log)"
}

ensure_debs() { # [--jdk] packages...
    local jdk=0 need=() p
    if [ "${1:-}" = --jdk ]; then
        jdk=1
        shift
    fi
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
    done
    if [ "$jdk" = 1 ]; then
        command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
    fi
    apt_install "${need[@]}"
}

ensure_venv() { # venv requirements stamp-name
    local venv="$1" req="$2" stamp="$1/$3"
    if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$stamp" "$req"; then
        return 0
    fi
    if [ ! -x "$venv/bin/python" ]; then
        command -v "$PY_BOOT" >/dev/null 2>&1 || apt_install python3 python3-venv
        log "creating venv $venv"
        if ! "$PY_BOOT" -m venv "$venv" >"$LOGS/venv.log" 2>&1; then
            rm -rf "$venv"
            apt_install python3-venv
            "$PY_BOOT" -m venv "$venv" >>"$LOGS/venv.log" 2>&1 || die "python3 -m venv failed (see $LOGS/venv.log)"
        fi
    fi
    log "pip install -r ${req#"$_INSTALL_ROOT"/}"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" \
        >>"$LOGS/venv.log" 2>&1 || die "pip install failed (see $LOGS/venv.log)"
    cp "$req" "$stamp"
}
