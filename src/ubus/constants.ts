// Wire constants of ubus (openwrt/ubus ubusmsg.h) and blobmsg (openwrt/libubox blobmsg.h),
// gathered in one place under the names upstream uses.

export const UBUS_MSG_HDR_LEN = 8;
export const UBUS_MAX_MSGLEN = 1048576;
export const UBUS_DEFAULT_SOCKET = '/var/run/ubus/ubus.sock';

export enum MsgType {
  HELLO = 0,
  STATUS = 1,
  DATA = 2,
  PING = 3,
  LOOKUP = 4,
  INVOKE = 5,
  ADD_OBJECT = 6,
  REMOVE_OBJECT = 7,
  SUBSCRIBE = 8,
  UNSUBSCRIBE = 9,
  NOTIFY = 10,
  MONITOR = 11,
}
export const MSG_TYPE_LAST = 12;

export enum Attr {
  UNSPEC = 0,
  STATUS = 1,
  OBJPATH = 2,
  OBJID = 3,
  METHOD = 4,
  OBJTYPE = 5,
  SIGNATURE = 6,
  DATA = 7,
  TARGET = 8,
  ACTIVE = 9,
  NO_REPLY = 10,
  SUBSCRIBERS = 11,
  USER = 12,
  GROUP = 13,
}
export const ATTR_LAST = 14;

export enum Status {
  OK = 0,
  INVALID_COMMAND = 1,
  INVALID_ARGUMENT = 2,
  METHOD_NOT_FOUND = 3,
  NOT_FOUND = 4,
  NO_DATA = 5,
  PERMISSION_DENIED = 6,
  TIMEOUT = 7,
  NOT_SUPPORTED = 8,
  UNKNOWN_ERROR = 9,
  CONNECTION_FAILED = 10,
  NO_MEMORY = 11,
  PARSE_ERROR = 12,
  SYSTEM_ERROR = 13,
}

/** The texts libubus's ubus_strerror() prints, indexed by status. */
export const STATUS_TEXT: readonly string[] = [
  'Success',
  'Invalid command',
  'Invalid argument',
  'Method not found',
  'Not found',
  'No response',
  'Permission denied',
  'Request timed out',
  'Operation not supported',
  'Unknown error',
  'Connection failed',
  'Out of memory',
  'Parsing message data failed',
  'System error',
];

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Unknown error';
}

export enum BlobmsgType {
  UNSPEC = 0,
  ARRAY = 1,
  TABLE = 2,
  STRING = 3,
  INT64 = 4,
  INT32 = 5,
  INT16 = 6,
  INT8 = 7,
  DOUBLE = 8,
}
export const BLOBMSG_TYPE_LAST = 8;

/** Reserved object ids in ubusd. */
export const UBUS_SYSTEM_OBJECT_EVENT = 1;
export const UBUS_SYSTEM_OBJECT_ACL = 2;
export const UBUS_SYSTEM_OBJECT_MONITOR = 3;
export const UBUS_SYSTEM_OBJECT_MAX = 1024;
