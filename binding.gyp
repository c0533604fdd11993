# The nym-vpn native addon (TUN device + batched UDP socket), plain Node-API in C, Linux only.
# `npm ci` / `npm install` build it (npm runs `node-gyp rebuild` when this file exists); the result is
# build/Release/nym_vpn_native.node, loaded by src/tun/native.ts.
{
  "targets": [
    {
      "target_name": "nym_vpn_native",
      "sources": ["src/tun/addon/addon.c", "src/tun/addon/tun.c", "src/tun/addon/udp.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    },
    {
      "target_name": "nym_peercred",
      "sources": ["src/ubus/addon/peercred.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
