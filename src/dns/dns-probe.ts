// Does a DNS server answer? One query (the root's NS records) with one try; any answer counts — even
// REFUSED or SERVFAIL means the server is there — only silence or an ICMP "unreachable" does not. Sent
// from an unmarked socket, so while connected it goes through the tunnel like dnsmasq's own queries.
import { Resolver } from 'node:dns/promises';

const SILENT = new Set(['ETIMEOUT', 'ECONNREFUSED', 'ECANCELLED']);

export async function dnsServerAnswers(server: string, timeoutMs: number): Promise<boolean> {
  const r = new Resolver({ timeout: timeoutMs, tries: 1 });
  r.setServers([server]);
  try {
    await r.resolveNs('.');
    return true;
  } catch (e) {
    return !SILENT.has((e as { code?: string }).code ?? '');
  } finally {
    r.cancel();
  }
}
