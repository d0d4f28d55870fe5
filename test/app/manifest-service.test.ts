// Manifest import is all-or-nothing: a conflict anywhere in the batch stores none of it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { importManifests } from '../../src/app/manifest-service.js';
import { ConflictError } from '../../src/domain/errors.js';
import type { Manifest } from '../../src/domain/types.js';
import { loadManifestFile } from '../../src/manifests/parse-manifest.js';
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

it('rolls back the first manifest of a file when the second conflicts, and names the second', () => {
  importManifests(store.manifests, [manifest('ami-0000000b', 't3.small')], new Date());
  // A Packer manifest.json with two artifacts: a new image, then one whose stored body differs.
  const embedded = { schemaVersion: 1, launch: { instanceType: 't3.large' } };
  const file = join(dir, 'manifest.json');
  writeFileSync(
    file,
    JSON.stringify({
      builds: [
        {
          name: 'web',
          builder_type: 'amazon-ebs',
          build_time: 1_795_000_000,
          files: null,
          artifact_id: 'us-east-1:ami-0000000a,us-east-1:ami-0000000b',
          packer_run_uuid: 'run-1',
          custom_data: { channel: 'web', driftwarden_manifest: JSON.stringify(embedded) },
        },
      ],
      last_run_uuid: 'run-1',
    }),
  );
  const batch = loadManifestFile(file);
  expect(batch.map((m) => m.image.id)).toEqual(['ami-0000000a', 'ami-0000000b']);

  let failure: unknown;
  try {
    importManifests(store.manifests, batch, new Date());
  } catch (error) {
    failure = error;
  }
  expect(failure).toBeInstanceOf(ConflictError);
  expect((failure as ConflictError).message).toMatch(/ami-0000000b .*immutable.*nothing was imported/);
  expect((failure as ConflictError).message).not.toContain('ami-0000000a');
  expect(store.manifests.get('ami-0000000a')).toBeNull();
  expect(store.manifests.list().map((m) => m.manifest.image.id)).toEqual(['ami-0000000b']);
});

it('imports a new batch, one image twice with the same body, as created then unchanged', () => {
  const results = importManifests(
    store.manifests,
    [manifest('ami-0000000a', 't3.small'), manifest('ami-0000000a', 't3.small')],
    new Date(),
  );
  expect(results).toEqual([
    { imageId: 'ami-0000000a', region: 'us-east-1', outcome: 'created' },
    { imageId: 'ami-0000000a', region: 'us-east-1', outcome: 'unchanged' },
  ]);
});
