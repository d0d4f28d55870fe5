import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffPair } from '../../src/core/diff.js';
import { formatPath, parsePath } from '../../src/core/paths.js';
import type {
  Accepted,
  HostSection,
  InstanceObservation,
  LaunchSection,
  Manifest,
  Pair,
  ResolvedManifest,
} from '../../src/domain/types.js';
import { hostOf, instanceOf, resolved } from './builders.js';

const key = fc.oneof(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.constantFrom('openssl', '/etc/ssh/sshd_config', 'aws:x', 'a.b'),
);
const value = fc.string({ maxLength: 6 });
const accepted: fc.Arbitrary<Accepted> = fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 3 }));
const fingerprint = fc.record({ sha256: value, mode: value, owner: value }, { requiredKeys: [] });

const launch: fc.Arbitrary<LaunchSection> = fc.record(
  {
    instanceType: accepted,
    iamInstanceProfile: accepted,
    securityGroups: fc.uniqueArray(key, { maxLength: 4 }),
    metadataOptions: fc.record({ httpTokens: accepted, httpEndpoint: accepted }, { requiredKeys: [] }),
    userDataSha256: accepted,
    tags: fc.dictionary(key, value, { maxKeys: 4 }),
  },
  { requiredKeys: [] },
);

const host: fc.Arbitrary<HostSection> = fc.record(
  {
    packages: fc.dictionary(key, value, { maxKeys: 4 }),
    files: fc.dictionary(key, fingerprint, { maxKeys: 3 }),
    services: fc.dictionary(key, value, { maxKeys: 3 }),
  },
  { requiredKeys: [] },
);

const manifest: fc.Arbitrary<Manifest> = fc.record(
  {
    schemaVersion: fc.constant(1 as const),
    image: fc.constant({ id: 'ami-0123456789abcdef0', region: 'us-east-1', channel: 'web' }),
    launch,
    host,
  },
  { requiredKeys: ['schemaVersion', 'image'] },
);

const first = (a: Accepted | undefined): string | null =>
  a === undefined ? null : typeof a === 'string' ? a : (a[0] ?? null);

/** An observation built to satisfy the manifest: accepted values, same sets, required tags plus extras. */
function matchingInstance(
  m: Manifest,
  extraTags: Record<string, string>,
  rotate: number,
): InstanceObservation {
  const l = m.launch ?? {};
  // Sets ignore order, so the observed groups come back rotated.
  const declared = l.securityGroups ?? [];
  const cut = declared.length === 0 ? 0 : rotate % declared.length;
  const groups = [...declared.slice(cut), ...declared.slice(0, cut)];
  const observation = instanceOf({
    instanceType: first(l.instanceType) ?? 't3.small',
    iamInstanceProfile: first(l.iamInstanceProfile) ?? null,
    securityGroups: l.securityGroups ? groups : ['sg-unrelated'],
    metadataOptions: {
      httpTokens: first(l.metadataOptions?.httpTokens),
      httpEndpoint: first(l.metadataOptions?.httpEndpoint),
    },
    tags: { ...extraTags, ...(l.tags ?? {}) },
  });
  if (l.userDataSha256 !== undefined) observation.userDataSha256 = first(l.userDataSha256);
  return observation;
}

function pairFor(m: ResolvedManifest, instance: InstanceObservation, observed: HostSection | null): Pair {
  return {
    instance,
    manifest: m,
    hosts: observed ? [hostOf(observed)] : [],
    hostStatus: observed ? 'fresh' : 'missing',
  };
}

const arbitraryInstance: fc.Arbitrary<InstanceObservation> = fc
  .record({
    instanceType: fc.option(value),
    iamInstanceProfile: fc.option(value),
    securityGroups: fc.array(key, { maxLength: 4 }),
    httpTokens: fc.option(value),
    httpEndpoint: fc.option(value),
    userDataSha256: fc.option(fc.option(value), { nil: undefined }),
    tags: fc.dictionary(key, value, { maxKeys: 4 }),
  })
  .map(({ httpTokens, httpEndpoint, userDataSha256, ...rest }) => {
    const observation = instanceOf({ ...rest, metadataOptions: { httpTokens, httpEndpoint } });
    if (userDataSha256 !== undefined) observation.userDataSha256 = userDataSha256;
    return observation;
  });

const status = fc.constantFrom<ResolvedManifest['status']>('active', 'revoked', 'superseded');

describe('diffPair (properties)', () => {
  it('finds no differences between a manifest and an observation built to match it', () => {
    fc.assert(
      fc.property(manifest, fc.dictionary(key, value, { maxKeys: 3 }), fc.nat(), (m, extra, rotate) => {
        const r = resolved(m);
        const observedHost = m.host ? structuredClone(m.host) : null;
        expect(diffPair(pairFor(r, matchingInstance(m, extra, rotate), observedHost), [r])).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('is sorted, deterministic, unique per path and change, and its paths round-trip', () => {
    fc.assert(
      fc.property(manifest, arbitraryInstance, fc.option(host), status, (m, instance, observedHost, s) => {
        const r = resolved(m, { status: s, supersededBy: s === 'superseded' ? 'ami-0new' : null });
        const pair = pairFor(r, instance, observedHost);
        const out = diffPair(pair, [r]);
        expect(diffPair(structuredClone(pair), [structuredClone(r)])).toEqual(out);
        const keys = out.map((d) => `${d.path}\u0000${d.change}`);
        expect(keys).toEqual([...keys].sort());
        expect(new Set(keys).size).toBe(keys.length);
        for (const d of out) expect(formatPath(parsePath(d.path))).toBe(d.path);
      }),
      { numRuns: 500 },
    );
  });

  it('reports only unknown-image for any instance without a manifest', () => {
    fc.assert(
      fc.property(arbitraryInstance, (instance) => {
        const out = diffPair({ instance, manifest: null, hosts: [], hostStatus: 'not-declared' }, []);
        expect(out.map((d) => [d.path, d.change])).toEqual([['image.id', 'unknown-image']]);
      }),
    );
  });
});
