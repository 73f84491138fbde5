#!/usr/bin/env bash
# Debian's Chromium for the playground's end-to-end tests, server and in-page (driven by playwright-core with
# executablePath /usr/bin/chromium). Debian 12 (bookworm) as root; nothing is downloaded by npm.
# Other distributions: install a Chromium and point STEERLM_CHROMIUM at it.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present) (already installed)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-chromium: needs root (apt-get); run it with sudo" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo installed)"
