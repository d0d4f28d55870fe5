// `driftwarden manifest import|list|show|revoke`: manage baked-image manifests (registration; the implementation loads on use).
import type { Command } from 'commander';
import { addPageOptions, type PageOptions } from '../page-options.js';
import type { JsonOption } from './manifest-action.js';

export function registerManifestCommands(program: Command): void {
  const manifest = program.command('manifest').description('import, list, show and revoke image manifests');

  manifest
    .command('import')
    .description('import native manifests or Packer manifest.json files (all-or-nothing)')
    .argument('<files...>', 'manifest files (native JSON or Packer manifest.json)')
    .option('--json', 'print results as JSON')
    .action(async (files: string[], options: JsonOption, command: Command) => {
      const { runManifestImport } = await import('./manifest-action.js');
      runManifestImport(files, options, command);
    });

  addPageOptions(
    manifest
      .command('list')
      .description('list manifests with their status (active, superseded, revoked), one page at a time')
      .option('--json', "print as JSON (with the total and the next page's cursor)"),
  ).action(async (options: JsonOption & PageOptions, command: Command) => {
    const { runManifestList } = await import('./manifest-action.js');
    runManifestList(options, command);
  });

  manifest
    .command('show')
    .description('print one manifest with its status')
    .argument('<imageId>', 'AMI id, e.g. ami-0123456789abcdef0')
    .action(async (imageId: string, _options: object, command: Command) => {
      const { runManifestShow } = await import('./manifest-action.js');
      runManifestShow(imageId, command);
    });

  manifest
    .command('revoke')
    .description('revoke an image: instances running it become revoked-image drift')
    .argument('<imageId>', 'AMI id')
    .requiredOption('--reason <text>', 'why the image is revoked (recorded)')
    .option('--json', 'print the revoked manifest as JSON')
    .action(async (imageId: string, options: JsonOption & { reason: string }, command: Command) => {
      const { runManifestRevoke } = await import('./manifest-action.js');
      runManifestRevoke(imageId, options, command);
    });
}
