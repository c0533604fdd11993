// The WireGuard package's public surface, for the daemon and the two-hop tunnel code.
export { Device, type DeviceOptions, type DeviceCounters } from './device.js';
export { Peer, type PeerConfig, type PeerStats } from './peer.js';
export { type Bind, type Datagram, type Endpoint, parseEndpoint, formatEndpoint } from './bind.js';
export { DgramBind, type DgramBindOptions } from '../sockets/bind-dgram.js';
export { UdpBatchBind, type UdpBatchBindOptions } from '../sockets/bind-udp-batch.js';
export { systemClock, ManualClock, type Clock } from './clock.js';
export { deviceStatus, formatStatus, type DeviceStatus, type PeerStatus } from './status.js';
export { generatePrivateKey, generatePresharedKey, publicKeyFromPrivate, keyFromBase64, keyToBase64 } from './keys.js';
export { defaultBackend, nodeBackend, nobleBackend, type CryptoBackend } from './crypto/index.js';
export { DEFAULT_TIMERS, type TimerConfig } from './timers.js';
