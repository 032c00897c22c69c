#!/usr/bin/env bash
# Installs the system packages the test suite needs when they are missing, from Debian's
# packages: Dovecot (the IMAP server the end-to-end tests start privately on loopback) and
# Chromium (the browser the end-to-end tests drive headless through playwright-core; Playwright's
# own browser downloads are not used). The tests never use the system-wide Dovecot service, so it
# is stopped if the package started it.
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

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-packages: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  # The package may start the system-wide service; the tests never use it.
  as_root systemctl stop dovecot >/dev/null 2>&1 || as_root service dovecot stop >/dev/null 2>&1 || true
fi
