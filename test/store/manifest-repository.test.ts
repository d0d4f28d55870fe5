import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { ConflictError, NotFoundError } from '../../src/domain/errors.js';
import { openStore, type Store } from '../../src/store/index.js';
import { T0, at, manifest, useTempDir } from './fixtures.js';

describe('ManifestRepository (SQLite)', () => {
  const tmp = useTempDir();
  let store: Store;
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
  });
  afterEach(() => store.close());

  it('stores a new manifest with the sha256 of its canonical JSON as digest', () => {
    const m = manifest('ami-1', {}, { instanceType: ['t3.small'], tags: { role: 'web' } });
    expect(store.manifests.import(m, T0)).toBe('created');
    const stored = store.manifests.get('ami-1');
    expect(stored).toMatchObject({ manifest: m, importedAt: T0, status: 'active', revokedAt: null });
    expect(stored?.digest).toBe(createHash('sha256').update(canonicalJson(m)).digest('hex'));
  });

  it('treats an identical re-import as a no-op, whatever the key order', () => {
    const m = manifest('ami-1', {}, { tags: { a: '1', b: '2' } });
    store.manifests.import(m, T0);
    const reordered = { ...m, launch: { tags: { b: '2', a: '1' } } };
    expect(store.manifests.import(reordered, at(5))).toBe('unchanged');
    expect(store.manifests.get('ami-1')?.importedAt).toBe(T0);
  });

  it('refuses a different body for a stored image: manifests are immutable', () => {
    store.manifests.import(manifest('ami-1'), T0);
    const changed = manifest('ami-1', { name: 'edited' });
    expect(() => store.manifests.import(changed, at(1))).toThrow(ConflictError);
    expect(() => store.manifests.import(changed, at(1))).toThrow(/ami-1.*immutable/);
    expect(store.manifests.get('ami-1')?.manifest.image.name).toBe('web-ami-1');
  });

  it('returns null for an unknown image', () => {
    expect(store.manifests.get('ami-404')).toBeNull();
  });

  it('lists manifests sorted by region, then image id', () => {
    store.manifests.import(manifest('ami-b', { region: 'us-east-1', channel: 'api' }), T0);
    store.manifests.import(manifest('ami-c', { region: 'eu-west-1', channel: 'api' }), T0);
    store.manifests.import(manifest('ami-a', { region: 'us-east-1', channel: 'web' }), T0);
    expect(store.manifests.list().map((m) => m.manifest.image.id)).toEqual(['ami-c', 'ami-a', 'ami-b']);
  });

  it('marks an older manifest superseded by a newer one in the same channel and region', () => {
    store.manifests.import(manifest('ami-old', { builtAt: '2026-11-01T00:00:00Z' }), T0);
    store.manifests.import(manifest('ami-new', { builtAt: '2026-11-10T00:00:00Z' }), T0);
    store.manifests.import(manifest('ami-eu', { region: 'eu-west-1', builtAt: '2026-10-01T00:00:00Z' }), T0);
    expect(store.manifests.get('ami-old')).toMatchObject({ status: 'superseded', supersededBy: 'ami-new' });
    expect(store.manifests.get('ami-new')).toMatchObject({ status: 'active', supersededBy: null });
    expect(store.manifests.get('ami-eu')).toMatchObject({ status: 'active' });
    expect(store.manifests.countByStatus()).toEqual({ active: 2, revoked: 0, superseded: 1 });
  });

  it('revokes a manifest with reason and time, and the older one in its channel becomes active again', () => {
    store.manifests.import(manifest('ami-old', { builtAt: '2026-11-01T00:00:00Z' }), T0);
    store.manifests.import(manifest('ami-new', { builtAt: '2026-11-10T00:00:00Z' }), T0);
    const revoked = store.manifests.revoke('ami-new', 'CVE-2026-0001', at(10));
    expect(revoked).toMatchObject({ status: 'revoked', revokedReason: 'CVE-2026-0001', revokedAt: at(10) });
    expect(store.manifests.get('ami-old')?.status).toBe('active');
    expect(store.manifests.countByStatus()).toEqual({ active: 1, revoked: 1, superseded: 0 });
  });

  it('keeps the first reason and time when a manifest is revoked twice', () => {
    store.manifests.import(manifest('ami-1'), T0);
    store.manifests.revoke('ami-1', 'first', at(1));
    const again = store.manifests.revoke('ami-1', 'second', at(2));
    expect(again).toMatchObject({ revokedReason: 'first', revokedAt: at(1) });
  });

  it('refuses to revoke an unknown image', () => {
    expect(() => store.manifests.revoke('ami-404', 'x', T0)).toThrow(NotFoundError);
  });

  it('keeps manifests and revocations across a restart', () => {
    store.manifests.import(manifest('ami-1'), T0);
    store.manifests.revoke('ami-1', 'bad build', at(1));
    const before = store.manifests.list();
    store.close();
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
    expect(store.manifests.list()).toEqual(before);
  });
});
