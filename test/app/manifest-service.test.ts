// Manifest import is all-or-nothing: a conflict anywhere in the batch stores none of it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { importManifests } from '../../src/app/manifest-service.js';
import { ConflictError } from '../../src/domain/errors.js';
import type { Manifest } from '../../src/domain/types.js';
import { openStore, type Store } from '../../src/store/index.js';

let dir: string;
let store: Store;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-ms-'));
  store = openStore(join(dir, 'dw.db'), { now: () => new Date('2026-11-26T00:00:00Z') });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const manifest = (id: string, instanceType: string): Manifest => ({
  schemaVersion: 1,
  image: { id, region: 'us-east-1', channel: 'web' },
  launch: { instanceType },
});

it('stores nothing when the batch holds two different bodies for one image', () => {
  const batch = [
    manifest('ami-0000000a', 't3.small'),
    manifest('ami-0000000b', 't3.small'),
    manifest('ami-0000000a', 't3.large'),
  ];
  expect(() => importManifests(store.manifests, batch, new Date())).toThrow(ConflictError);
  expect(store.manifests.list()).toEqual([]);
});

it('stores nothing when one manifest of the batch conflicts with a stored one', () => {
  importManifests(store.manifests, [manifest('ami-0000000a', 't3.small')], new Date());
  expect(() =>
    importManifests(
      store.manifests,
      [manifest('ami-0000000b', 't3.small'), manifest('ami-0000000a', 't3.large')],
      new Date(),
    ),
  ).toThrow(/ami-0000000a .*immutable/);
  expect(store.manifests.list().map((m) => m.manifest.image.id)).toEqual(['ami-0000000a']);
});

it('treats an identical re-import, also twice in one batch, as unchanged', () => {
  const first = importManifests(store.manifests, [manifest('ami-0000000a', 't3.small')], new Date());
  expect(first.map((r) => r.outcome)).toEqual(['created']);
  const again = importManifests(
    store.manifests,
    [manifest('ami-0000000a', 't3.small'), manifest('ami-0000000a', 't3.small')],
    new Date(),
  );
  expect(again.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged']);
});
