// The WireGuard package's public surface, for the daemon and the two-hop tunnel code. The protocol does no I/O:
// a Device is given its Bind (src/sockets has the real ones, tools/wireguard-lab an in-memory one).
export { Device, type DeviceOptions, type DeviceCounters } from './device.js';
export { Peer, type PeerConfig, type PeerStats } from './peer.js';
export { type Bind, type Datagram, type Endpoint, parseEndpoint, formatEndpoint } from './bind.js';
export { systemClock, ManualClock, type Clock } from './clock.js';
export { deviceStatus, formatStatus, type DeviceStatus, type PeerStatus } from './status.js';
export { generatePrivateKey, generatePresharedKey, publicKeyFromPrivate, keyFromBase64, keyToBase64 } from './keys.js';
export { defaultBackend, nodeBackend, nobleBackend, type CryptoBackend } from './crypto/index.js';
export { DEFAULT_TIMERS, type TimerConfig } from './timers.js';
