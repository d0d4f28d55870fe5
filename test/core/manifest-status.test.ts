// Supersession: the newest active manifest in a channel and region wins; revoked ones never do.
import { describe, expect, it } from 'vitest';
import { newestActiveInChannel, resolveManifests } from '../../src/core/manifest-status.js';
import type { StoredManifest } from '../../src/domain/types.js';

function stored(
  id: string,
  builtAt: string,
  extra: Partial<StoredManifest> = {},
  channel = 'web',
): StoredManifest {
  return {
    manifest: { schemaVersion: 1, image: { id, region: 'us-east-1', channel, builtAt } },
    digest: id,
    importedAt: '2026-11-26T00:00:00Z',
    revokedAt: null,
    revokedReason: null,
    ...extra,
  };
}

describe('resolveManifests', () => {
  it('supersedes older builds in the same channel by the newest active one', () => {
    const out = resolveManifests([
      stored('ami-1', '2026-11-01T00:00:00Z'),
      stored('ami-2', '2026-11-20T00:00:00Z'),
    ]);
    expect(out.map((m) => [m.manifest.image.id, m.status, m.supersededBy])).toEqual([
      ['ami-1', 'superseded', 'ami-2'],
      ['ami-2', 'active', null],
    ]);
  });

  it('compares build times as instants, whatever their offset', () => {
    // 12:00+02:00 is 10:00Z, so the 11:00Z build is newer although it sorts lower as text.
    const out = resolveManifests([
      stored('ami-1', '2026-11-20T12:00:00+02:00'),
      stored('ami-2', '2026-11-20T11:00:00Z'),
    ]);
    expect(out.find((m) => m.manifest.image.id === 'ami-1')?.status).toBe('superseded');
    expect(out.find((m) => m.manifest.image.id === 'ami-2')?.status).toBe('active');
  });

  it('never lets a revoked manifest supersede, and reports it revoked', () => {
    const out = resolveManifests([
      stored('ami-1', '2026-11-01T00:00:00Z'),
      stored('ami-2', '2026-11-20T00:00:00Z', { revokedAt: '2026-11-21T00:00:00Z', revokedReason: 'CVE' }),
    ]);
    expect(out.map((m) => m.status)).toEqual(['active', 'revoked']);
    expect(newestActiveInChannel(out, 'us-east-1', 'web')?.manifest.image.id).toBe('ami-1');
  });

  it('keeps channels and regions apart', () => {
    const out = resolveManifests([
      stored('ami-1', '2026-11-01T00:00:00Z', {}, 'web'),
      stored('ami-2', '2026-11-20T00:00:00Z', {}, 'api'),
    ]);
    expect(out.map((m) => m.status)).toEqual(['active', 'active']);
  });
});
