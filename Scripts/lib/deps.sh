# shellcheck shell=bash
# crm_install_deps: installs what Scripts/run and Scripts/test need on Debian 12 when it is missing,
# and puts the Swift toolchain on PATH. A second run only asks dpkg, so it is fast and offline.

CRM_APT_PACKAGES=(
    libpq-dev pkg-config
    postgresql-15 postgresql-15-pgtap
    libtap-parser-sourcehandler-pgtap-perl # pg_prove
    netcat-openbsd procps
    time # /usr/bin/time: Scripts/bench's peak memory of an import
)

crm_install_deps() {
    local missing=() pkg
    for pkg in "${CRM_APT_PACKAGES[@]}"; do
        [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == *'ok installed' ]] || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        _crm_apt_install "${missing[@]}"
    fi
    _crm_find_swift
}

_crm_apt_install() {
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || { echo "error: installing $* needs root or sudo" >&2; return 1; }
        sudo=(sudo)
    fi
    # Waits for the dpkg lock when another apt runs instead of failing at once.
    local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600)
    echo "== installing $*" >&2
    local try
    for try in 1 2 3; do
        "${apt[@]}" update && break
        ((try < 3)) || return 1
        sleep 10
    done
    # On older releases the contrib modules are a separate package; on Debian 12 it is a
    # metapackage. Installed only alongside the rest, so its absence never triggers an update.
    local extra=()
    if apt-cache show postgresql-contrib >/dev/null 2>&1; then extra=(postgresql-contrib); fi
    "${apt[@]}" install -y --no-install-recommends "$@" "${extra[@]}"
}

_crm_find_swift() {
    command -v swift >/dev/null && return 0
    if [[ -x /opt/swift/usr/bin/swift ]]; then
        export PATH="/opt/swift/usr/bin:$PATH"
        return 0
    fi
    echo "error: no Swift toolchain: expected 'swift' on PATH or in /opt/swift/usr/bin" >&2
    return 1
}
