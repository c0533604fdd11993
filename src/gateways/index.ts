// What the rest of nym-vpn uses from src/gateways.

export {
  DirectoryFormatError,
  formatPerformance,
  isEd25519Identity,
  parseCountryList,
  parseGateway,
  parseGatewayList,
  parsePerformance,
} from './gateway.js';
export type { Gateway, GatewayIssue, GatewayProbe, GatewayRole, IssueReporter, ProbeOutcome } from './gateway.js';
export { DirectoryClient, DirectoryError, GATEWAY_LIST_KINDS, MAINNET_VPN_API_URL } from './directory.js';
export type { DirectoryAnswer, DirectoryIssue, DirectoryOptions, GatewayListKind, RequestOptions } from './directory.js';
export { measureLatencies, probeTargetOf, tcpConnectProbe, tcpConnectProbeWith } from './latency.js';
export type { LatencyMeasurement, LatencyProbe, MeasureOptions, ProbeTarget } from './latency.js';
export { GatewaySelectionError, selectGateways, unfitness } from './select.js';
export type { Choice, SelectionReason, SelectionRequest, SelectionResult } from './select.js';
export { FirstRegistrar, RegistrationError, StaticRegistrar, gatewaysFromStaticPeers, staticGatewayId } from './registrar.js';
export type { Registrar, RegisteredPeer, RegistrationFailure, RegistrationRequest } from './registrar.js';
export { LATENCY_MAX_AGE_MS, LatencyBook } from './latency-book.js';
export type { LatencyBookOptions, LatencyRecord } from './latency-book.js';
