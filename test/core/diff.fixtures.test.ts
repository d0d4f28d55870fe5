import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffPair } from '../../src/core/diff.js';
import { resolveManifests } from '../../src/core/manifest-status.js';
import { pairInstances } from '../../src/core/pair.js';
import type {
  Difference,
  HostObservation,
  InstanceObservation,
  Manifest,
  StoredManifest,
} from '../../src/domain/types.js';

// Fixture triples as in Argo CD's gitops-engine: NAME-config.json (manifests, i.e. desired state),
// NAME-live.json (instance and host observations) and NAME-expected.json (the differences).
const DIR = new URL('./fixtures/', import.meta.url);
const NOW = Date.parse('2026-11-21T12:00:00Z');
const HOST_MAX_AGE_MS = 60 * 60 * 1000;

interface ConfigFixture {
  manifests: { manifest: Manifest; revokedAt?: string; revokedReason?: string; importedAt?: string }[];
}
interface LiveFixture {
  instance: InstanceObservation;
  host: HostObservation | null;
}

const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, DIR), 'utf8')) as T;
const names = readdirSync(DIR)
  .filter((f) => f.endsWith('-config.json'))
  .map((f) => f.slice(0, -'-config.json'.length))
  .sort();

describe('diffPair fixtures', () => {
  it('finds the fixture set', () => {
    expect(names.length).toBeGreaterThanOrEqual(8);
  });

  it.each(names)('%s', (name) => {
    const config = read<ConfigFixture>(`${name}-config.json`);
    const live = read<LiveFixture>(`${name}-live.json`);
    const expected = read<Pick<Difference, 'path' | 'change' | 'expected' | 'actual'>[]>(
      `${name}-expected.json`,
    );
    const stored = config.manifests.map((m): StoredManifest => ({
      manifest: m.manifest,
      digest: m.manifest.image.id,
      importedAt: m.importedAt ?? '2026-11-20T10:00:00Z',
      revokedAt: m.revokedAt ?? null,
      revokedReason: m.revokedReason ?? null,
    }));
    const manifests = resolveManifests(stored);
    const hosts = new Map(live.host ? [[live.host.instanceId, [live.host]]] : []);
    const [pair] = pairInstances([live.instance], manifests, hosts, {
      now: NOW,
      hostMaxAgeMs: { agent: HOST_MAX_AGE_MS },
    });
    if (pair === undefined) throw new Error('no pair');
    const actual = diffPair(pair, manifests);
    expect(
      actual.map(({ path, change, expected: e, actual: a }) => ({ path, change, expected: e, actual: a })),
    ).toEqual(expected);
    for (const d of actual)
      expect([d.instanceId, d.imageId]).toEqual([live.instance.instanceId, live.instance.imageId]);
  });
});
