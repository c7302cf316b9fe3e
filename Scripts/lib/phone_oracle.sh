# shellcheck shell=bash
# The oracle of crm.normalize_phone: the Python `phonenumbers` package (a port of Google's
# libphonenumber). It goes into a venv of its own under .build/oracle-venv, never the system
# Python; the cases it generates go under .build/ too, never into git. Needs deps.sh sourced.
#
#   phone_oracle_venv        makes the venv (python3 and python3-venv from apt when missing);
#                            sets PHONE_ORACLE_PYTHON; returns 3 when phonenumbers cannot be
#                            installed (no network to PyPI), so the caller can report a skip
#   phone_oracle_cases FILE  writes the pgTAP file of generated cases (Scripts/lib/phone_cases.py)

PHONE_ORACLE_VENV=.build/oracle-venv
PHONE_ORACLE_REQUIREMENT='phonenumbers>=8.13,<10'

phone_oracle_venv() {
    local venv=$PHONE_ORACLE_VENV
    if [[ -x $venv/bin/python ]] && "$venv/bin/python" -c 'import phonenumbers' 2>/dev/null; then
        PHONE_ORACLE_PYTHON=$venv/bin/python
        return 0
    fi
    if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
        _crm_apt_install python3 python3-venv || return 3
    fi
    rm -rf "$venv"
    python3 -m venv "$venv" || return 3
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$PHONE_ORACLE_REQUIREMENT" || return 3
    PHONE_ORACLE_PYTHON=$venv/bin/python
}

phone_oracle_cases() { # FILE
    phone_oracle_venv || return $?
    mkdir -p "$(dirname "$1")"
    "$PHONE_ORACLE_PYTHON" -B Scripts/lib/phone_cases.py >"$1.tmp" && mv "$1.tmp" "$1"
}
