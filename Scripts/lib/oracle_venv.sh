# shellcheck shell=bash
# crm_oracle_venv: a Python virtual environment in .build/oracle-venv with the tests' independent
# oracles: `phonenumbers` (libphonenumber's rules, for crm.normalize_phone; phone_oracle.sh) and
# `lifetimes` (Davidson-Pilon's BG/NBD and Gamma-Gamma implementation), the reference the
# customer-prediction tests compare against: it ships the CDNOW sample (cdnow_customers_summary.csv, CDNOW_sample.txt)
# that Fader, Hardie and Lee fitted, and computes P(alive) and expected purchases independently.
# Versions are pinned to ones that work together on Python 3.11 (lifetimes 0.11.3 predates
# numpy 2 and pandas 2). Created once; a second call only checks it. Sets CRM_ORACLE_PYTHON and
# CRM_CDNOW_DIR (the dataset folder inside the installed package). Returns non-zero when it cannot
# be made (no network): callers then skip the tests that need it, with a message.

CRM_ORACLE_PIP_PACKAGES=(
    'phonenumbers>=8.13,<10'
    lifetimes==0.11.3 numpy==1.26.4 scipy==1.11.4 pandas==1.5.3 autograd==1.6.2 dill==0.3.8
    python-dateutil==2.9.0.post0 pytz==2024.1 six==1.16.0 future==1.0.0
)

crm_oracle_venv() {
    local dir=${1:-.build/oracle-venv}
    local py=$dir/bin/python
    if [[ ! -x $py ]] || ! "$py" -c 'import lifetimes, phonenumbers' 2>/dev/null; then
        # A minimal Debian has no python3, or python3 without venv's ensurepip.
        if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
            _crm_apt_install python3 python3-venv || return 1
        fi
        echo "== creating $dir (phonenumbers and lifetimes, the tests' oracles)" >&2
        rm -rf "$dir"
        python3 -m venv "$dir" || return 1
        "$py" -m pip install -q --disable-pip-version-check "${CRM_ORACLE_PIP_PACKAGES[@]}" || return 1
    fi
    CRM_ORACLE_PYTHON=$(cd "$(dirname "$py")" && pwd)/python
    CRM_CDNOW_DIR=$("$py" -c 'import os, lifetimes.datasets as d; print(os.path.dirname(d.__file__))') || return 1
    export CRM_ORACLE_PYTHON CRM_CDNOW_DIR
}
