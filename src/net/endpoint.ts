// A UDP/TCP endpoint as a value: parsed once where it enters (UCI, a registrar's answer) and passed on as
// this object, never re-parsed deeper in. The address is in its canonical text form.
import { formatIp, parseIp } from './ip-address.js';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/** "1.2.3.4:51820" or "[fd00::1]:51820" → Endpoint (literal addresses only: names are resolved before). */
export function parseEndpoint(text: string): Endpoint {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (m === null) throw new TypeError(`endpoint must be address:port or [IPv6]:port, got ${JSON.stringify(text.slice(0, 64))}`);
  return endpointOf(m[1]!, Number(m[2]));
}

/** An endpoint from a literal address and a port. */
export function endpointOf(address: string, port: number): Endpoint {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`endpoint port out of range: ${port}`);
  const bytes = parseIp(address);
  return { address: formatIp(bytes), port, family: bytes.length === 4 ? 4 : 6 };
}

export function formatEndpoint(e: Endpoint): string {
  return e.family === 6 ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}
