// A peer replica's address as configured in `shards.peers`: a base URL, or a DNS name resolved to its A/AAAA records.
export type PeerAddress =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'dns'; readonly host: string; readonly port: number };

/** The prefix of a DNS peer entry: `dns:driftwarden-headless.ns.svc:9750`. */
export const DNS_PEER_PREFIX = 'dns:';

/** Reads one `shards.peers` entry; the error says what a valid entry looks like. */
export function parsePeerAddress(text: string): PeerAddress | { error: string } {
  if (text.startsWith(DNS_PEER_PREFIX)) {
    const match = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/.exec(
      text.slice(DNS_PEER_PREFIX.length),
    );
    const port = Number(match?.[2]);
    if (!match?.[1] || !(port >= 1 && port <= 65535))
      return { error: `expected dns:NAME:PORT such as dns:driftwarden-headless.ns.svc:9750 (got "${text}")` };
    return { kind: 'dns', host: match[1], port };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return {
      error: `expected a base URL such as http://driftwarden-1:9750 or dns:NAME:PORT (got "${text}")`,
    };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { error: `a peer URL must be http:// or https:// (got "${text}")` };
  if (
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  )
    return { error: `a peer URL is a base URL without path, query or credentials (got "${text}")` };
  return { kind: 'url', url: url.origin };
}
