// The peer list: configured entries resolved to base URLs at each call, this replica itself left out, a name that does not resolve reported.
import { describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../src/core/peer-address.js';
import { createPeerList, type LookupAll, type ResolvedPeer } from '../../src/http/peer-list.js';

/** A resolver over a fixed table, like a headless Service's records. */
const records: Record<string, string[]> = {
  'driftwarden-headless.ns.svc': ['10.0.0.12', '10.0.0.10', '10.0.0.11'],
  'driftwarden-0.driftwarden-headless': ['10.0.0.10'],
  'driftwarden-1.driftwarden-headless': ['10.0.0.11'],
  'v6-headless': ['fd00::1', 'fd00::2'],
};
const lookup: LookupAll = (host) => {
  const found = records[host];
  return found === undefined
    ? Promise.reject(new Error(`getaddrinfo ENOTFOUND ${host}`))
    : Promise.resolve(found);
};
const THIS_POD = () => new Set(['127.0.0.1', '10.0.0.10']);

/** The peers of a replica on 10.0.0.10:9750 with this configuration. */
function resolve(peers: PeerAddress[]): Promise<ResolvedPeer[]> {
  return createPeerList({ peers, ownPort: () => 9750, lookup, localAddresses: THIS_POD })();
}

describe('peer list', () => {
  it('resolves a DNS entry to one URL per address, without this replica', async () => {
    expect(await resolve([{ kind: 'dns', host: 'driftwarden-headless.ns.svc', port: 9750 }])).toEqual([
      { url: 'http://10.0.0.11:9750' },
      { url: 'http://10.0.0.12:9750' },
    ]);
  });

  it('keeps this host on another port: a second replica on the same machine is a peer', async () => {
    expect(await resolve([{ kind: 'dns', host: 'driftwarden-0.driftwarden-headless', port: 9751 }])).toEqual([
      { url: 'http://10.0.0.10:9751' },
    ]);
  });

  it('brackets IPv6 addresses', async () => {
    expect(await resolve([{ kind: 'dns', host: 'v6-headless', port: 9750 }])).toEqual([
      { url: 'http://[fd00::1]:9750' },
      { url: 'http://[fd00::2]:9750' },
    ]);
  });

  it('keeps a URL entry as written, unless its host is this replica', async () => {
    expect(
      await resolve([
        { kind: 'url', url: 'http://driftwarden-1.driftwarden-headless:9750' },
        { kind: 'url', url: 'http://driftwarden-0.driftwarden-headless:9750' },
      ]),
    ).toEqual([{ url: 'http://driftwarden-1.driftwarden-headless:9750' }]);
  });

  it('reports an entry that does not resolve, named as configured', async () => {
    expect(await resolve([{ kind: 'dns', host: 'missing.ns.svc', port: 9750 }])).toEqual([
      {
        url: 'dns:missing.ns.svc:9750',
        error: 'cannot resolve missing.ns.svc: getaddrinfo ENOTFOUND missing.ns.svc',
      },
    ]);
  });
});
