# nym-vpn's native addons, plain Node-API in C, Linux only. `npm ci` / `npm install` build them (npm runs
# `node-gyp rebuild` when this file exists; `npm rebuild` does it again by hand) into build/Release/:
#   nym_vpn_native.node  TUN device, batched UDP socket, marked TCP, ChaCha20-Poly1305 over Node's own OpenSSL
#                        (src/native/addon), loaded by src/native/native.ts
#   nym_peercred.node    SO_PEERCRED for the ubus broker (tools/ubusd/addon; the lab bus only)
{
  "targets": [
    {
      "target_name": "nym_vpn_native",
      "sources": ["src/native/addon/addon.c", "src/native/addon/tun.c", "src/native/addon/tcp-offload.c", "src/native/addon/udp.c", "src/native/addon/marked.c", "src/native/addon/aead.c", "src/native/addon/malloc-policy.c", "src/native/addon/program-pages.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    },
    {
      "target_name": "nym_peercred",
      "sources": ["tools/ubusd/addon/peercred.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"]
    }
  ]
}
