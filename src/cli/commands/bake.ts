// `driftwarden bake --root DIR`: write the native manifest (host section) of a filesystem (registration; the implementation loads on use).
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { positiveInt } from '../options.js';
import type { BakeOptions } from './bake-action.js';

export function registerBakeCommand(program: Command): void {
  program
    .command('bake')
    .description(
      'write the manifest of a filesystem: installed packages, selected files (sha256, mode, owner), enabled services',
    )
    .requiredOption('--root <dir>', 'the image filesystem to describe (/ inside a Packer build)')
    .option(
      '--image-id <ami>',
      'AMI id; with --region the output is a complete manifest for `manifest import`',
    )
    .option('--region <region>', 'the AMI region (with --image-id)')
    .option('--channel <name>', 'image channel (newer images in a channel supersede older ones)')
    .option('--name <name>', 'image name')
    .option(
      '--select <file>',
      'file selection: lines /glob/** (include), !/glob (exclude), @defaults, # comments',
    )
    .option('-o, --output <file>', 'write the manifest here (atomically) instead of stdout')
    .option(
      '-j, --jobs <n>',
      'files hashed in parallel (worker threads)',
      positiveInt,
      availableParallelism(),
    )
    .option(
      '--allow-skips',
      'exit 0 even when selected files could not be read (they are left out and listed)',
    )
    .addHelpText(
      'after',
      `
Without --image-id the output is a partial manifest for Packer: put it in the manifest
post-processor's custom_data.driftwarden_manifest and import packer-manifest.json (see deploy/packer/).
Set SOURCE_DATE_EPOCH to record builtAt; otherwise baking the same tree twice is byte-identical.
Symbolic links are recorded as links (sha256 of the target text) and never followed.
Exit 0 done, 1 error or (without --allow-skips) a selected file could not be read.

Default selection:
  /etc/**  /usr/local/bin/**  /usr/local/sbin/**  systemd unit directories,
  minus per-boot files (machine-id, hostname, hosts, resolv.conf, ssh host keys, …).
Never selected: /proc /sys /dev /run /tmp /var/tmp /var/log *.log

Examples:
  $ driftwarden bake --root / --channel web -o /tmp/driftwarden-host.json
  $ driftwarden bake --root /mnt/image --image-id ami-0123456789abcdef0 --region eu-west-1 > manifest.json`,
    )
    .action(async (options: BakeOptions) => {
      const { runBake } = await import('./bake-action.js');
      await runBake(options);
    });
}
