// SQLite-backed ManifestRepository: immutable manifests keyed by image id, with revocation.
import { toPage, type Page, type PageRequest } from '../app/paging.js';
import type { ImportOutcome, ImportResult, ManifestKey, ManifestRepository } from '../app/ports.js';
import { resolveManifests } from '../core/manifest-status.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import type { Manifest, ManifestStatus, ResolvedManifest, StoredManifest } from '../domain/types.js';
import { manifestBody, manifestDigest } from '../app/manifest-digest.js';
import type { Database } from './database.js';
import { toIsoUtc } from './timestamps.js';

interface ManifestRow {
  image_id: string;
  body: string;
  digest: string;
  imported_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
}

const COLUMNS = 'image_id, body, digest, imported_at, revoked_at, revoked_reason';

function toStored(row: ManifestRow): StoredManifest {
  return {
    manifest: JSON.parse(row.body) as Manifest,
    digest: row.digest,
    importedAt: row.imported_at,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
  };
}

export function createManifestRepository(db: Database): ManifestRepository {
  const insert = db.prepare<
    [
      {
        imageId: string;
        region: string;
        channel: string | null;
        name: string | null;
        builtAt: string | null;
        body: string;
        digest: string;
        importedAt: string;
      },
    ]
  >(
    `INSERT INTO manifests (image_id, region, channel, name, built_at, body, digest, imported_at)
     VALUES (@imageId, @region, @channel, @name, @builtAt, @body, @digest, @importedAt)
     ON CONFLICT (image_id) DO NOTHING`,
  );
  const selectOne = db.prepare<[string], ManifestRow>(`SELECT ${COLUMNS} FROM manifests WHERE image_id = ?`);
  const selectAll = db.prepare<[], ManifestRow>(`SELECT ${COLUMNS} FROM manifests`);
  // Supersession only depends on manifests of the same channel and region.
  const selectPeers = db.prepare<[string, string], ManifestRow>(
    `SELECT ${COLUMNS} FROM manifests WHERE region = ? AND channel = ?`,
  );
  const selectFirstPage = db.prepare<[{ limit: number }], ManifestRow>(
    `SELECT ${COLUMNS} FROM manifests ORDER BY region, image_id LIMIT @limit`,
  );
  const selectPageAfter = db.prepare<[{ region: string; imageId: string; limit: number }], ManifestRow>(
    `SELECT ${COLUMNS} FROM manifests WHERE (region, image_id) > (@region, @imageId)
     ORDER BY region, image_id LIMIT @limit`,
  );
  const countAll = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM manifests');
  const revokeOnce = db.prepare<[string, string, string]>(
    'UPDATE manifests SET revoked_at = ?, revoked_reason = ? WHERE image_id = ? AND revoked_at IS NULL',
  );

  function get(imageId: string): ResolvedManifest | null {
    const row = selectOne.get(imageId);
    if (!row) return null;
    const stored = toStored(row);
    const { region, channel } = stored.manifest.image;
    const peers = channel === undefined ? [stored] : selectPeers.all(region, channel).map(toStored);
    return resolveManifests(peers).find((m) => m.manifest.image.id === imageId) ?? null;
  }

  function list(): ResolvedManifest[] {
    return resolveManifests(selectAll.all().map(toStored));
  }

  /** A page's statuses: each manifest is resolved among the manifests of its channel and region only. */
  function page(request: PageRequest<ManifestKey>): Page<ResolvedManifest, ManifestKey> {
    const limit = request.limit + 1;
    const rows = (
      request.after === undefined
        ? selectFirstPage.all({ limit })
        : selectPageAfter.all({ region: request.after[0], imageId: request.after[1], limit })
    ).map(toStored);
    const peers = new Map<string, ResolvedManifest[]>();
    const resolved = rows.map((stored) => {
      const { region: r, channel, id } = stored.manifest.image;
      if (channel === undefined) return resolveManifests([stored])[0] ?? null;
      const key = `${r}\u0000${channel}`;
      let group = peers.get(key);
      if (group === undefined) {
        group = resolveManifests(selectPeers.all(r, channel).map(toStored));
        peers.set(key, group);
      }
      return group.find((m) => m.manifest.image.id === id) ?? null;
    });
    return toPage(
      resolved.filter((m): m is ResolvedManifest => m !== null),
      request.limit,
      (m): ManifestKey => [m.manifest.image.region, m.manifest.image.id],
    );
  }

  function importOne(manifest: Manifest, importedAt: string): ImportOutcome {
    const body = manifestBody(manifest);
    const digest = manifestDigest(manifest);
    const { id, region, channel, name, builtAt } = manifest.image;
    // Insert-or-nothing then compare, so two concurrent importers cannot both "create".
    const result = insert.run({
      imageId: id,
      region,
      channel: channel ?? null,
      name: name ?? null,
      builtAt: builtAt ?? null,
      body,
      digest,
      importedAt: toIsoUtc(importedAt, 'importedAt'),
    });
    if (result.changes === 1) return 'created';
    const existing = selectOne.get(id);
    if (existing && existing.digest === digest) return 'unchanged';
    throw new ConflictError(
      `manifest for image ${id} already exists with a different body (stored digest ${existing?.digest ?? '?'}, ` +
        `new digest ${digest}); manifests are immutable — bake a new image instead of changing this one`,
      { location: `image.id=${id}` },
    );
  }

  // One transaction: a conflict anywhere rolls back the manifests inserted before it.
  const importAll = db.transaction((batch: readonly Manifest[], importedAt: string): ImportResult[] =>
    batch.map((m) => ({ imageId: m.image.id, region: m.image.region, outcome: importOne(m, importedAt) })),
  );

  return {
    import: importOne,
    importAll: (batch, importedAt) => importAll(batch, importedAt),
    list,
    page,
    count: () => countAll.get()?.n ?? 0,
    get,

    revoke(imageId: string, reason: string, at: string): ResolvedManifest {
      // Only the first revocation is recorded: its reason and time are what operators acted on.
      revokeOnce.run(toIsoUtc(at, 'revokedAt'), reason, imageId);
      const revoked = get(imageId);
      if (!revoked) throw new NotFoundError(`no manifest for image ${imageId}`);
      return revoked;
    },

    countByStatus(): Record<ManifestStatus, number> {
      const counts: Record<ManifestStatus, number> = { active: 0, revoked: 0, superseded: 0 };
      for (const m of list()) counts[m.status] += 1;
      return counts;
    },
  };
}
