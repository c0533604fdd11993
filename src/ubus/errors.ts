import { Status, statusText } from './constants.js';
import type { BlobmsgTable } from './blobmsg.js';

/**
 * A ubus request that ended with a non-zero status. `data` holds what the object sent before the
 * status (our daemon names the bad field there), `message` reads like libubus's ubus_strerror().
 */
export class UbusError extends Error {
  override name = 'UbusError';
  constructor(
    readonly status: Status,
    message?: string,
    readonly data?: BlobmsgTable,
  ) {
    super(message ?? statusText(status));
  }

  get statusName(): string {
    return Status[this.status] ?? `STATUS_${this.status}`;
  }
}
