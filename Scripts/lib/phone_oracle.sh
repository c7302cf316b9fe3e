# shellcheck shell=bash
# The oracle of crm.normalize_phone: the Python `phonenumbers` package (a port of Google's
# libphonenumber), in the tests' oracle venv under .build/oracle-venv (oracle_venv.sh), never the
# system Python; the cases it generates go under .build/ too, never into git. Needs deps.sh and
# oracle_venv.sh sourced.
#
#   phone_oracle_venv        makes the venv (python3 and python3-venv from apt when missing);
#                            sets PHONE_ORACLE_PYTHON; returns 3 when phonenumbers cannot be
#                            installed (no network to PyPI), so the caller can report a skip
#   phone_oracle_cases FILE  writes the pgTAP file of generated cases (Scripts/lib/phone_cases.py)

phone_oracle_venv() {
    crm_oracle_venv || return 3
    PHONE_ORACLE_PYTHON=$CRM_ORACLE_PYTHON
}

phone_oracle_cases() { # FILE
    phone_oracle_venv || return $?
    mkdir -p "$(dirname "$1")"
    "$PHONE_ORACLE_PYTHON" -B Scripts/lib/phone_cases.py >"$1.tmp" && mv "$1.tmp" "$1"
}
