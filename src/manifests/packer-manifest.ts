// Turns Packer's `manifest` post-processor output into native manifests, one per region:AMI artifact.
import { resolve } from 'node:path';
import { z } from 'zod';
import { AMI_ID_PATTERN, REGION_PATTERN } from '../config/aws-patterns.js';
import { ValidationError, errorMessage } from '../domain/errors.js';
import type { Manifest, ManifestImage } from '../domain/types.js';
import { parseJsonText } from './json-text.js';
import { describeIssue, validateManifestInput, type LineLocator } from './manifest-issues.js';
import { embeddedManifestSchema, manifestSchema, type EmbeddedManifest } from './manifest-schema.js';

export interface PackerManifestOptions {
  /** Names the input in errors (a file path, `request body`). */
  origin: string;
  /**
   * Reads a native manifest that `custom_data.driftwarden_manifest` refers to by path. Absent (as for
   * an HTTP upload), such a reference is an error: the server must not read files a client names.
   */
  readFile?: (path: string) => string;
  /** Directory a relative reference resolves against: the Packer manifest's own directory. */
  baseDir?: string;
  locate?: LineLocator;
}

// Packer owns this format, so unknown fields are ignored rather than rejected.
const packerBuildSchema = z.object({
  name: z.string().min(1).optional(),
  builder_type: z.string().optional(),
  build_time: z.number().int().nonnegative().optional(),
  artifact_id: z.string(),
  packer_run_uuid: z.string().min(1).optional(),
  custom_data: z
    .looseObject({
      channel: z.string().min(1).optional(),
      driftwarden_manifest: z.string().min(1).optional(),
    })
    .nullable()
    .optional(),
});
type PackerBuild = z.output<typeof packerBuildSchema>;

export const packerManifestSchema = z.object({
  builds: z.array(packerBuildSchema),
  last_run_uuid: z.string().min(1).optional(),
});

export function isPackerManifest(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Array.isArray((value as { builds?: unknown }).builds);
}

/**
 * Packer appends one build per run to the same manifest.json, so older runs' AMIs are still listed:
 * when `last_run_uuid` is present only the builds of that run are imported, otherwise every build.
 *
 * Each `region:ami-…` pair of a build's `artifact_id` becomes one manifest. `launch`/`host` come
 * from `custom_data.driftwarden_manifest` (inline JSON, or a path relative to the Packer manifest);
 * its `image.id`/`image.region` are always replaced by the artifact's. The image's `name` is the
 * build name (else the embedded one), `channel` is `custom_data.channel` (else the embedded one),
 * `builtAt` is `build_time` (else the embedded one), and `source.packerRunUuid` is the build's run.
 */
export function manifestsFromPacker(value: unknown, options: PackerManifestOptions): Manifest[] {
  const { origin, locate } = options;
  const packer = validateManifestInput(packerManifestSchema, value, origin, 'Packer manifest', locate);
  const selected = packer.builds
    .map((build, index) => ({ build, index }))
    .filter(
      ({ build }) => packer.last_run_uuid === undefined || build.packer_run_uuid === packer.last_run_uuid,
    );
  if (selected.length === 0) {
    const reason =
      packer.builds.length === 0
        ? 'no builds'
        : `no build has packer_run_uuid = last_run_uuid (${String(packer.last_run_uuid)})`;
    throw new ValidationError(
      `${origin}: invalid Packer manifest`,
      [describeIssue(origin, ['builds'], reason, locate)],
      {
        location: origin,
      },
    );
  }

  const issues: string[] = [];
  const manifests: Manifest[] = [];
  const seen = new Map<string, number>();
  for (const { build, index } of selected) {
    const artifacts = parseArtifactId(build.artifact_id);
    if (artifacts === null) {
      issues.push(
        describeIssue(
          origin,
          ['builds', index, 'artifact_id'],
          `"${build.artifact_id}" is not an AMI artifact (expected region:ami-…[,region:ami-…]; builder ${build.builder_type ?? 'unknown'})`,
          locate,
        ),
      );
      continue;
    }
    let embedded: EmbeddedManifest;
    try {
      embedded = readEmbedded(build, index, options);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push(...(error.allIssues.length > 0 ? error.allIssues : [error.message]));
      continue;
    }
    for (const artifact of artifacts) {
      const first = seen.get(artifact.imageId);
      if (first !== undefined) {
        issues.push(
          describeIssue(
            origin,
            ['builds', index, 'artifact_id'],
            `${artifact.imageId} is also produced by builds[${first}]`,
            locate,
          ),
        );
        continue;
      }
      seen.set(artifact.imageId, index);
      const merged = mergeManifest(build, embedded, artifact);
      manifests.push(
        validateManifestInput(manifestSchema, merged, `${origin}: builds[${index}]`, 'manifest'),
      );
    }
  }
  if (issues.length > 0)
    throw new ValidationError(`${origin}: invalid Packer manifest`, issues, { location: origin });
  return manifests;
}

interface Artifact {
  region: string;
  imageId: string;
}

/** `us-east-1:ami-0abc,eu-west-1:ami-0def` → pairs; null when any part is not region:AMI. */
export function parseArtifactId(artifactId: string): Artifact[] | null {
  const artifacts: Artifact[] = [];
  for (const part of artifactId.split(',')) {
    const [region, imageId, ...rest] = part.trim().split(':');
    if (
      rest.length > 0 ||
      !region ||
      !imageId ||
      !REGION_PATTERN.test(region) ||
      !AMI_ID_PATTERN.test(imageId)
    )
      return null;
    artifacts.push({ region, imageId });
  }
  return artifacts;
}

function readEmbedded(build: PackerBuild, index: number, options: PackerManifestOptions): EmbeddedManifest {
  const reference = build.custom_data?.driftwarden_manifest?.trim();
  if (reference === undefined || reference === '') return {};
  const where = ['builds', index, 'custom_data', 'driftwarden_manifest'];
  let text: string;
  let origin: string;
  if (reference.startsWith('{')) {
    text = reference;
    origin = `${options.origin}: builds[${index}].custom_data.driftwarden_manifest`;
  } else {
    const fail = (reason: string): never => {
      throw new ValidationError(reason, [describeIssue(options.origin, where, reason, options.locate)]);
    };
    if (!options.readFile) {
      return fail(
        `refers to the file "${reference}", but files can only be read when importing a Packer manifest from a file`,
      );
    }
    origin = resolve(options.baseDir ?? '.', reference);
    try {
      text = options.readFile(origin);
    } catch (error) {
      return fail(`cannot read ${origin}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`);
    }
  }
  const { value, locate } = parseJsonText(text, origin);
  return validateManifestInput(embeddedManifestSchema, value, origin, 'embedded manifest', locate);
}

function mergeManifest(build: PackerBuild, embedded: EmbeddedManifest, artifact: Artifact): unknown {
  const base = embedded.image ?? {};
  const source = {
    ...base.source,
    ...(build.packer_run_uuid ? { packerRunUuid: build.packer_run_uuid } : {}),
  };
  const image: Partial<ManifestImage> = {
    ...base,
    id: artifact.imageId,
    region: artifact.region,
    name: build.name ?? base.name,
    channel: build.custom_data?.channel ?? base.channel,
    builtAt:
      build.build_time === undefined
        ? base.builtAt
        : new Date(build.build_time * 1000).toISOString().replace('.000Z', 'Z'),
    source: Object.keys(source).length > 0 ? source : undefined,
  };
  for (const key of Object.keys(image) as (keyof ManifestImage)[])
    if (image[key] === undefined) delete image[key];
  return {
    schemaVersion: 1,
    image,
    ...(embedded.launch ? { launch: embedded.launch } : {}),
    ...(embedded.host ? { host: embedded.host } : {}),
  };
}
