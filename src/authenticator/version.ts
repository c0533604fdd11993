// Which authenticator protocol a gateway speaks, from its build version, as upstream decides it
// (nymtech/nym common/authenticator-requests/src/version.rs, commit daed9cd15bc0): v6 from nym-node 1.23.0
// (niolo), v5 from 1.6.1, older ones earlier. This client speaks v6 only and refuses older gateways clearly.

export const AUTHENTICATOR_V6 = 6;
/** ServiceProviderType::Authenticator (service-provider-requests-common): its serde variant index, 2. */
export const SERVICE_PROVIDER_AUTHENTICATOR = 2;

const RELEASES: ReadonlyArray<readonly [version: number, major: number, minor: number, patch: number]> = [
  [6, 1, 23, 0],
  [5, 1, 6, 1],
  [4, 1, 2, 0],
  [3, 1, 1, 10],
  [2, 1, 1, 9],
  [1, 1, 1, 5],
];

export class UnsupportedGatewayError extends Error {
  override name = 'UnsupportedGatewayError';
}

/** The semver triple of a build version ("1.23.1", "1.24.0-rc.1+abc"), or undefined when it is not semver. */
function semver(text: string): [number, number, number] | undefined {
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** upstream's From<semver::Version>: the protocol version of a gateway build, 0 for unknown. */
export function authenticatorVersionOf(buildVersion: string | undefined): number {
  const v = buildVersion === undefined ? undefined : semver(buildVersion);
  if (!v) return 0;
  // semver puts a prerelease below its release: "1.23.0-rc.1" is still v5 for upstream.
  const pre = /-/.test(buildVersion!.split('+')[0]!);
  for (const [version, major, minor, patch] of RELEASES) {
    const cmp = v[0] - major || v[1] - minor || v[2] - patch;
    if (cmp > 0 || (cmp === 0 && !pre)) return version;
  }
  return 0;
}

/** The version to speak with a gateway, or a refusal naming why. */
export function chooseAuthenticatorVersion(buildVersion: string | undefined): number {
  const v = authenticatorVersionOf(buildVersion);
  if (v === AUTHENTICATOR_V6) return v;
  if (v === 0) throw new UnsupportedGatewayError(`the gateway's build version ${JSON.stringify(buildVersion ?? null)} is unknown: cannot tell which authenticator protocol it speaks`);
  throw new UnsupportedGatewayError(`the gateway runs nym-node ${buildVersion} (authenticator v${v}); this client needs v6 (nym-node 1.23.0 or later)`);
}
