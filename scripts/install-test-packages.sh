#!/usr/bin/env bash
# Installs the system packages the test suite needs when they are missing, from Debian's
# packages: Dovecot (the IMAP server the end-to-end tests start privately on loopback), Chromium
# (the browser the end-to-end tests drive headless through playwright-core; Playwright's own
# browser downloads are not used) and PostgreSQL (whose initdb/pg_ctl test/support/postgres.ts
# uses for a private server per test file). The tests never use the system-wide Dovecot service or
# PostgreSQL cluster, so they are stopped if the packages started them.
# Run by `npm run test:ci` before the suite; as root, or as a user allowed `sudo -n`.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif sudo -n true 2>/dev/null; then sudo -n "$@"
  else
    echo "install-test-packages: $* needs root; run as root or install the package by hand" >&2
    return 1
  fi
}

missing=()
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
[ -x /usr/bin/chromium ] || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-packages: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  # The package may start the system-wide service; the tests never use it.
  as_root systemctl stop dovecot >/dev/null 2>&1 || as_root service dovecot stop >/dev/null 2>&1 || true
  if [[ " ${missing[*]} " == *" postgresql "* ]]; then
    # The package creates and starts a system cluster (15/main on port 5432); the tests initdb
    # their own. Stop it and keep it from starting again: start.conf "manual" for pg_ctlcluster
    # and the init script, and the systemd unit disabled where there is one.
    { pg_lsclusters --no-header 2>/dev/null || true; } | while read -r version cluster _; do
      as_root pg_ctlcluster "$version" "$cluster" stop </dev/null >/dev/null 2>&1 || true
      echo manual | as_root tee "/etc/postgresql/$version/$cluster/start.conf" >/dev/null || true
    done
    as_root systemctl disable --now postgresql >/dev/null 2>&1 || as_root service postgresql stop >/dev/null 2>&1 || true
  fi
fi
