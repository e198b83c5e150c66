#!/usr/bin/env bash
# Installs what the browser suite needs and a fresh machine lacks: Debian's
# Chromium (Playwright's own browser download does not work here) and fonts
# with Polish letters and colour emoji. Does nothing when they are present.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need+=(fonts-noto-color-emoji)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install ${need[*]} as root (apt-get install -y ${need[*]})" >&2; exit 1; }
  sudo=(sudo)
fi
echo "installing ${need[*]} from Debian"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
/usr/bin/chromium --version
