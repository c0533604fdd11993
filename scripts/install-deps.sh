#!/usr/bin/env bash
# Installs what the build, the tests and the lab need on a Debian/Ubuntu machine, only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_pkgs=(wireguard-go wireguard-tools nftables iptables iproute2 iperf3 dnsmasq-base tcpdump
          iputils-ping procps curl python3 make g++ libjson-c-dev busybox chromium
          musl-tools)  # musl-tools: test/packaging/musl-addon.test.ts builds the addon against musl
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "nym-vpn needs Node.js 20 or newer (OpenWrt 24.10 ships 20.20.2); install it first" >&2
  exit 1
fi

# npm ci only when the lock changed since the last install (it also builds the TUN addon).
stamp=node_modules/.nym-vpn-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi

# The native addons: rebuilt when missing (after `make clean`) or older than their sources.
addons=(build/Release/nym_vpn_native.node build/Release/nym_peercred.node)
for a in "${addons[@]}"; do
  if [ ! -f "$a" ] || [ -n "$(find binding.gyp src/native/addon tools/ubusd/addon -newer "$a" -print -quit)" ]; then
    if ! out=$(npm rebuild --foreground-scripts 2>&1); then echo "$out" >&2; exit 1; fi
    break
  fi
done

# apk-tools 3 (OpenWrt 25.12's package manager) for `make package`'s .apk and the install tests, built
# once into build/apk-tools from ../shared/apk-tools when that is beside the checkout.
if [ -f ../shared/apk-tools/build.sh ] && [ ! -x build/apk-tools/bin/apk ]; then
  bash ../shared/apk-tools/build.sh build/apk-tools >/dev/null
fi
