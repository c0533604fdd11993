// WireGuard protocol constants, named as in the whitepaper and wireguard-go's device/constants.go.
// Times are milliseconds because every timer in this package takes `now` in ms.

export const NOISE_CONSTRUCTION = 'Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s';
export const WG_IDENTIFIER = 'WireGuard v1 zx2c4 Jason@zx2c4.com';
export const WG_LABEL_MAC1 = 'mac1----';
export const WG_LABEL_COOKIE = 'cookie--';

export const MESSAGE_INITIATION_TYPE = 1;
export const MESSAGE_RESPONSE_TYPE = 2;
export const MESSAGE_COOKIE_REPLY_TYPE = 3;
export const MESSAGE_TRANSPORT_TYPE = 4;

export const MESSAGE_INITIATION_SIZE = 148;
export const MESSAGE_RESPONSE_SIZE = 92;
export const MESSAGE_COOKIE_REPLY_SIZE = 64;
export const MESSAGE_TRANSPORT_HEADER_SIZE = 16;
export const AEAD_TAG_SIZE = 16;
export const MESSAGE_TRANSPORT_SIZE = MESSAGE_TRANSPORT_HEADER_SIZE + AEAD_TAG_SIZE; // an empty one
export const MESSAGE_KEEPALIVE_SIZE = MESSAGE_TRANSPORT_SIZE;
/** Largest datagram we accept; anything bigger cannot be a WireGuard message over UDP. */
export const MAX_MESSAGE_SIZE = 65535;

export const KEY_SIZE = 32;
export const MAC_SIZE = 16;
export const TAI64N_SIZE = 12;
export const COOKIE_NONCE_SIZE = 24;

export const REKEY_AFTER_MESSAGES = 2 ** 60;
// 2^64 - 2^13 - 1 is not representable as a double; we keep counters as numbers, so the
// effective limit is 2^53 (a peer would need centuries of traffic to get there).
export const REJECT_AFTER_MESSAGES = Number.MAX_SAFE_INTEGER;
export const REKEY_AFTER_TIME = 120_000;
export const REKEY_ATTEMPT_TIME = 90_000;
export const REKEY_TIMEOUT = 5_000;
export const MAX_TIMER_HANDSHAKES = REKEY_ATTEMPT_TIME / REKEY_TIMEOUT; // 18
export const REKEY_TIMEOUT_JITTER_MAX = 334;
export const REJECT_AFTER_TIME = 180_000;
export const KEEPALIVE_TIMEOUT = 10_000;
export const COOKIE_REFRESH_TIME = 120_000;
export const HANDSHAKE_INITIATION_RATE = 1000 / 50; // 20 ms
export const PADDING_MULTIPLE = 16;

/** Implementation constants (wireguard-go device/constants.go, queueconstants). */
export const UNDER_LOAD_AFTER_TIME = 1_000;
export const QUEUE_STAGED_SIZE = 128;
export const QUEUE_HANDSHAKE_SIZE = 1024;
export const UNDER_LOAD_QUEUE_SIZE = QUEUE_HANDSHAKE_SIZE / 8;
export const MAX_PEERS = 1 << 16;

/** Replay window: 128 blocks of 64 bits, one block kept spare (RFC 6479). */
export const REPLAY_BLOCK_BITS = 64;
export const REPLAY_RING_BLOCKS = 128;
export const REPLAY_WINDOW_SIZE = (REPLAY_RING_BLOCKS - 1) * REPLAY_BLOCK_BITS; // 8128

/** Handshake rate limiter per source address (wireguard-go ratelimiter). */
export const RATELIMIT_PACKETS_PER_SECOND = 20;
export const RATELIMIT_BURST = 5;
