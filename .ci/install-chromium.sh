#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the report test (tests/workflow/test_report_html.py).
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root (or sudo) and Debian's apt.
set -euo pipefail

PACKAGES=(chromium)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ] && [ -x /usr/bin/chromium ]; then
    echo "install-chromium: already installed: $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
# Update the package lists first when they are missing (fresh image) or the install cannot find the package.
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' || true)" ]; then
    $SUDO apt-get update -q
fi
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]:-${PACKAGES[@]}}"; then
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]:-${PACKAGES[@]}}"
fi
echo "install-chromium: $(/usr/bin/chromium --version)"
