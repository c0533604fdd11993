// What a device counts: why datagrams and packets were dropped, and what it saw.

/** Why datagrams and packets were dropped or what was seen; never reset. */
export interface DeviceCounters {
  droppedMalformed: number;
  droppedUnknownIndex: number;
  droppedExpired: number;
  droppedBadAuth: number;
  droppedReplay: number;
  droppedBadInnerPacket: number;
  droppedSourceNotAllowed: number;
  droppedBadMac1: number;
  droppedBadHandshake: number;
  droppedBadCookieReply: number;
  droppedRateLimited: number;
  droppedHandshakeQueueFull: number;
  droppedInternalError: number;
  droppedNoRoute: number;
  keepalivesReceived: number;
  cookieRepliesSent: number;
  cookieRepliesReceived: number;
  handshakeInitiationsSent: number;
  handshakeInitiationsReceived: number;
  handshakeResponsesReceived: number;
}

export function zeroCounters(): DeviceCounters {
  return {
    droppedMalformed: 0, droppedUnknownIndex: 0, droppedExpired: 0, droppedBadAuth: 0, droppedReplay: 0,
    droppedBadInnerPacket: 0, droppedSourceNotAllowed: 0, droppedBadMac1: 0, droppedBadHandshake: 0,
    droppedBadCookieReply: 0, droppedRateLimited: 0, droppedHandshakeQueueFull: 0, droppedInternalError: 0,
    droppedNoRoute: 0, keepalivesReceived: 0, cookieRepliesSent: 0, cookieRepliesReceived: 0,
    handshakeInitiationsSent: 0, handshakeInitiationsReceived: 0, handshakeResponsesReceived: 0,
  };
}
