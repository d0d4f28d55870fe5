// `driftwarden bake`, run: validate the image fields, fingerprint the tree, write the manifest atomically.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { ValidationError } from '../../domain/errors.js';
import { fingerprintHost } from '../../host/fingerprint.js';
import { validateManifestInput } from '../../manifests/manifest-issues.js';
import { embeddedManifestSchema, manifestSchema } from '../../manifests/manifest-schema.js';
import { CliExit } from '../cli-exit.js';
import { formatBytes, progressLine, transferLine } from '../progress.js';
import { loadSelection } from '../selection-file.js';

export interface BakeOptions {
  root: string;
  imageId?: string;
  region?: string;
  channel?: string;
  name?: string;
  select?: string;
  output?: string;
  jobs: number;
  allowSkips?: boolean;
}

/** `SOURCE_DATE_EPOCH` (reproducible-builds convention) gives `builtAt`; otherwise there is none, so output is byte-identical. */
function builtAt(env: NodeJS.ProcessEnv): string | undefined {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch === undefined || epoch === '') return undefined;
  if (!/^\d+$/.test(epoch))
    throw new ValidationError(`SOURCE_DATE_EPOCH "${epoch}" is not a number of seconds`);
  return new Date(Number(epoch) * 1000).toISOString().replace('.000Z', 'Z');
}

function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, text, { mode: 0o644 });
    renameSync(temporary, path);
  } catch (error) {
    // Name the file the user asked for, not the temporary one next to it.
    rmSync(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ValidationError(`cannot write --output ${path}: ${code}`);
  }
}

export async function runBake(options: BakeOptions): Promise<void> {
  if ((options.imageId === undefined) !== (options.region === undefined)) {
    throw new ValidationError(
      '--image-id and --region go together (or leave both out for a Packer partial manifest)',
    );
  }
  const built = builtAt(process.env);
  const image = {
    ...(options.imageId ? { id: options.imageId, region: options.region } : {}),
    ...(options.name ? { name: options.name } : {}),
    ...(options.channel ? { channel: options.channel } : {}),
    ...(built ? { builtAt: built } : {}),
  };
  // Validated like an import, and before hashing: a bad --image-id, --region or
  // SOURCE_DATE_EPOCH fails at once, not after the whole tree was read (host is optional here).
  const schema = options.imageId ? manifestSchema : embeddedManifestSchema;
  validateManifestInput(schema, { schemaVersion: 1, image }, 'bake', 'manifest');
  const selection = loadSelection(options.select);
  const progress = progressLine(process.stderr);
  const started = performance.now();
  const result = await fingerprintHost({
    root: options.root,
    selection,
    jobs: options.jobs,
    onProgress: (p) =>
      progress.update((elapsed) =>
        p.phase === 'walk'
          ? `bake: found ${p.totalFiles} files`
          : transferLine('bake:', p, { files: p.totalFiles, bytes: p.totalBytes }, elapsed),
      ),
  });
  progress.done();

  const manifest = { schemaVersion: 1, image, host: result.host };
  validateManifestInput(schema, manifest, 'bake', 'manifest');
  const seconds = (performance.now() - started) / 1000;
  const packages = result.host.packages ? Object.keys(result.host.packages).length : 0;
  process.stderr.write(
    `bake: ${Object.keys(result.host.files ?? {}).length} files (${formatBytes(result.bytes)} hashed), ` +
      `${packages} packages (${result.managers.join(', ') || 'no package database'}), ` +
      `${Object.keys(result.host.services ?? {}).length} services in ${seconds.toFixed(1)} s\n`,
  );
  if (result.skipped.length > 0) {
    process.stderr.write(`bake: skipped ${result.skipped.length} selected path(s):\n`);
    for (const skip of result.skipped) process.stderr.write(`  ${skip.path}: ${skip.reason}\n`);
    // An incomplete manifest would report the missing files as drift on every instance later.
    if (!options.allowSkips) {
      process.stderr.write(
        'bake: no manifest written; fix these paths, exclude them in --select (!/path), or pass --allow-skips\n',
      );
      throw new CliExit(1);
    }
  }
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  if (options.output) {
    writeAtomically(options.output, text);
    process.stderr.write(`bake: wrote ${options.output}\n`);
  } else process.stdout.write(text);
}
