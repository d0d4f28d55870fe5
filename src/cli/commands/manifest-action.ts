// `driftwarden manifest import|list|show|revoke`, run: the commands' work on the database.
import type { Command } from 'commander';
import { importManifests } from '../../app/manifest-service.js';
import type { Manifest } from '../../domain/types.js';
import { loadManifestFile } from '../../manifests/parse-manifest.js';
import { CliExit, printJson } from '../cli-exit.js';
import { withStore } from '../context.js';
import { CURSOR_KEYS } from '../../http/cursor.js';
import type { PageOptions } from '../page-options.js';
import { moreNote, nextCursor, pageRequest } from '../paging.js';
import { renderTable } from '../render.js';

export interface JsonOption {
  json?: boolean;
}

export function runManifestImport(files: string[], options: JsonOption, command: Command): void {
  // Parse every file before touching the database: one bad file imports nothing.
  const manifests: Manifest[] = files.flatMap((file) => loadManifestFile(file));
  const results = withStore(command, (store) => importManifests(store.manifests, manifests, new Date()));
  if (options.json) printJson({ items: results });
  else for (const r of results) process.stdout.write(`${r.outcome.padEnd(9)} ${r.region} ${r.imageId}\n`);
}

export function runManifestList(options: JsonOption & PageOptions, command: Command): void {
  const request = pageRequest(options, CURSOR_KEYS.manifest);
  const { page, total } = withStore(command, (store) => ({
    page: store.manifests.page(request),
    total: store.manifests.count(),
  }));
  const items = page.items;
  if (options.json) return printJson({ items, total, next: nextCursor(page) });
  process.stderr.write(moreNote(page, total));
  process.stdout.write(
    renderTable(
      ['IMAGE', 'REGION', 'CHANNEL', 'NAME', 'BUILT', 'STATUS'],
      items.map((m) => [
        m.manifest.image.id,
        m.manifest.image.region,
        m.manifest.image.channel ?? '-',
        m.manifest.image.name ?? '-',
        m.manifest.image.builtAt ?? '-',
        m.status === 'superseded' ? `superseded by ${m.supersededBy}` : m.status,
      ]),
    ),
  );
}

export function runManifestShow(imageId: string, command: Command): void {
  const found = withStore(command, (store) => store.manifests.get(imageId));
  if (!found) {
    process.stderr.write(`driftwarden: no manifest for image ${imageId}\n`);
    throw new CliExit(1);
  }
  printJson(found);
}

export function runManifestRevoke(
  imageId: string,
  options: JsonOption & { reason: string },
  command: Command,
): void {
  const revoked = withStore(command, (store) =>
    store.manifests.revoke(imageId, options.reason, new Date().toISOString()),
  );
  if (options.json) printJson(revoked);
  else process.stdout.write(`revoked ${imageId} at ${revoked.revokedAt}: ${revoked.revokedReason}\n`);
}
