// The peer replicas of this one: `shards.peers` resolved to base URLs, this replica itself left out.
import { lookup as dnsLookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import { compareStrings } from '../core/compare-strings.js';
import type { PeerAddress } from '../core/peer-address.js';
import { errorMessage } from '../domain/errors.js';

/** A peer to call (`url`), or one that could not be resolved (`error`), named by its configured entry. */
export type ResolvedPeer = { readonly url: string } | { readonly url: string; readonly error: string };

/** All addresses of a host name (A and AAAA records, or the hosts file), as `dns.lookup` gives them. */
export type LookupAll = (host: string) => Promise<readonly string[]>;

export interface PeerListOptions {
  peers: readonly PeerAddress[];
  /** The port this replica listens on: an entry resolving to one of this host's addresses on it is itself. */
  ownPort(): number | null;
  /** Defaults to the system resolver; tests pass their own. */
  lookup?: LookupAll;
  /** This host's addresses; defaults to the network interfaces'. */
  localAddresses?: () => ReadonlySet<string>;
}

const systemLookup: LookupAll = async (host) => (await dnsLookup(host, { all: true })).map((a) => a.address);

function interfaceAddresses(): ReadonlySet<string> {
  return new Set(
    Object.values(networkInterfaces())
      .flat()
      .flatMap((info) => (info === undefined ? [] : [info.address])),
  );
}

function urlHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

function urlPort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/**
 * Resolves the configured peers now (a headless Service's records change as pods come and go, so
 * each fan-out resolves afresh). A shared configuration may list every replica, this one included: an
 * entry whose address is this host's, on this replica's port, is left out. Output is sorted by URL.
 */
export function createPeerList(options: PeerListOptions): () => Promise<ResolvedPeer[]> {
  const lookup = options.lookup ?? systemLookup;
  const localAddresses = options.localAddresses ?? interfaceAddresses;
  return async () => {
    const local = localAddresses();
    const port = options.ownPort();
    const isSelf = (address: string, peerPort: number): boolean => peerPort === port && local.has(address);
    const resolved = await Promise.all(
      options.peers.map(async (peer): Promise<ResolvedPeer[]> => {
        const host = peer.kind === 'dns' ? peer.host : new URL(peer.url).hostname.replace(/^\[|\]$/g, '');
        const name = peer.kind === 'dns' ? `dns:${peer.host}:${peer.port}` : peer.url;
        let addresses: readonly string[];
        try {
          addresses = await lookup(host);
        } catch (error) {
          return [{ url: name, error: `cannot resolve ${host}: ${errorMessage(error)}` }];
        }
        if (peer.kind === 'url')
          return addresses.some((a) => isSelf(a, urlPort(new URL(peer.url)))) ? [] : [{ url: peer.url }];
        return addresses
          .filter((a) => !isSelf(a, peer.port))
          .map((a) => ({ url: `http://${urlHost(a)}:${peer.port}` }));
      }),
    );
    const byUrl = new Map(resolved.flat().map((p) => [p.url, p]));
    return [...byUrl.values()].sort((a, b) => compareStrings(a.url, b.url));
  };
}
