// `driftwarden manifest import|list|show|revoke`: manage baked-image manifests in the database.
import type { Command } from 'commander';
import { importManifests } from '../../app/manifest-service.js';
import type { Manifest } from '../../domain/types.js';
import { loadManifestFile } from '../../manifests/parse-manifest.js';
import { CliExit, printJson, withStore } from '../context.js';
import { renderTable } from '../render.js';

interface JsonOption {
  json?: boolean;
}

export function registerManifestCommands(program: Command): void {
  const manifest = program.command('manifest').description('import, list, show and revoke image manifests');

  manifest
    .command('import')
    .description('import native manifests or Packer manifest.json files (all-or-nothing)')
    .argument('<files...>', 'manifest files (native JSON or Packer manifest.json)')
    .option('--json', 'print results as JSON')
    .action((files: string[], options: JsonOption, command: Command) => {
      // Parse every file before touching the database: one bad file imports nothing.
      const manifests: Manifest[] = files.flatMap((file) => loadManifestFile(file));
      const results = withStore(command, (store) => importManifests(store.manifests, manifests, new Date()));
      if (options.json) printJson({ items: results });
      else for (const r of results) process.stdout.write(`${r.outcome.padEnd(9)} ${r.region} ${r.imageId}\n`);
    });

  manifest
    .command('list')
    .description('list manifests with their status (active, superseded, revoked)')
    .option('--json', 'print as JSON')
    .action((options: JsonOption, command: Command) => {
      const items = withStore(command, (store) => store.manifests.list());
      if (options.json) return printJson({ items });
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
    });

  manifest
    .command('show')
    .description('print one manifest with its status')
    .argument('<imageId>', 'AMI id, e.g. ami-0123456789abcdef0')
    .action((imageId: string, _options: object, command: Command) => {
      const found = withStore(command, (store) => store.manifests.get(imageId));
      if (!found) {
        process.stderr.write(`driftwarden: no manifest for image ${imageId}\n`);
        throw new CliExit(1);
      }
      printJson(found);
    });

  manifest
    .command('revoke')
    .description('revoke an image: instances running it become revoked-image drift')
    .argument('<imageId>', 'AMI id')
    .requiredOption('--reason <text>', 'why the image is revoked (recorded)')
    .option('--json', 'print the revoked manifest as JSON')
    .action((imageId: string, options: JsonOption & { reason: string }, command: Command) => {
      const revoked = withStore(command, (store) =>
        store.manifests.revoke(imageId, options.reason, new Date().toISOString()),
      );
      if (options.json) printJson(revoked);
      else process.stdout.write(`revoked ${imageId} at ${revoked.revokedAt}: ${revoked.revokedReason}\n`);
    });
}
