// zod schema of the native image manifest (docs/design.md §2); strict everywhere, since a misspelt key would silently disable a comparison.
import { z } from 'zod';
import { AMI_ID_PATTERN, REGION_PATTERN, SECURITY_GROUP_ID_PATTERN } from '../config/aws-patterns.js';
import type { HostSection, LaunchSection, Manifest, ManifestImage } from '../domain/types.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const FILE_MODE = /^0?[0-7]{3,4}$/;

const nonEmpty = z.string().min(1, { error: 'must not be empty' });

/** Lists that mean sets: a repeated member is reported at its second occurrence. */
function uniqueList<T extends z.ZodType<string>>(item: T) {
  return z.array(item).superRefine((items, ctx) => {
    const seen = new Map<string, number>();
    items.forEach((value, index) => {
      const first = seen.get(value);
      if (first !== undefined)
        ctx.addIssue({ code: 'custom', path: [index], message: `duplicate "${value}" (also at [${first}])` });
      else seen.set(value, index);
    });
  });
}

/** One accepted value, or a non-empty list of accepted values. */
function accepted<T extends z.ZodType<string>>(item: T) {
  return z.union([item, uniqueList(item).min(1, { error: 'list at least one accepted value' })]);
}

export const imageSchema = z.strictObject({
  id: z.string().regex(AMI_ID_PATTERN, { error: 'expected an AMI id such as ami-0123456789abcdef0' }),
  region: z.string().regex(REGION_PATTERN, { error: 'expected an AWS region such as us-east-1' }),
  name: nonEmpty.optional(),
  channel: nonEmpty.optional(),
  builtAt: z.iso
    .datetime({ offset: true, error: 'expected an ISO 8601 date-time such as 2026-11-20T10:00:00Z' })
    .optional(),
  source: z.record(nonEmpty, z.string()).optional(),
}) satisfies z.ZodType<ManifestImage>;

const sha256 = z.string().regex(SHA256_HEX, { error: 'expected 64 lowercase hex characters (sha256)' });

export const launchSectionSchema = z.strictObject({
  instanceType: accepted(nonEmpty).optional(),
  iamInstanceProfile: accepted(nonEmpty).optional(),
  userDataSha256: accepted(sha256).optional(),
  securityGroups: uniqueList(
    z.string().regex(SECURITY_GROUP_ID_PATTERN, {
      error: 'expected a security group id such as sg-0aa11bb22cc33dd44',
    }),
  ).optional(),
  metadataOptions: z
    .strictObject({
      httpTokens: accepted(z.enum(['required', 'optional'])).optional(),
      httpEndpoint: accepted(z.enum(['enabled', 'disabled'])).optional(),
    })
    .optional(),
  tags: z.record(nonEmpty, z.string()).optional(),
}) satisfies z.ZodType<LaunchSection>;

const fileFingerprintSchema = z
  .strictObject({
    sha256: sha256.optional(),
    mode: z.string().regex(FILE_MODE, { error: 'expected an octal mode such as 0644' }).optional(),
    owner: nonEmpty.optional(),
  })
  .refine((f) => f.sha256 !== undefined || f.mode !== undefined || f.owner !== undefined, {
    error: 'declare at least one of sha256, mode, owner',
  });

/** The `host` section; also the shape an agent pushes as a fingerprint. */
export const hostSectionSchema = z.strictObject({
  packages: z.record(nonEmpty, nonEmpty).optional(),
  files: z
    .record(z.string().startsWith('/', { error: 'expected an absolute path' }), fileFingerprintSchema)
    .optional(),
  services: z.record(nonEmpty, nonEmpty).optional(),
}) satisfies z.ZodType<HostSection>;

export const manifestSchema = z.strictObject({
  schemaVersion: z.literal(1, { error: 'expected schemaVersion 1' }),
  image: imageSchema,
  launch: launchSectionSchema.optional(),
  host: hostSectionSchema.optional(),
}) satisfies z.ZodType<Manifest>;

/**
 * A native manifest embedded in a Packer build (`custom_data.driftwarden_manifest`): the image id
 * and region come from the build's artifacts, so they (and schemaVersion) may be left out.
 */
export const embeddedManifestSchema = manifestSchema.extend({
  schemaVersion: z.literal(1, { error: 'expected schemaVersion 1' }).optional(),
  image: imageSchema.partial().optional(),
});

export type EmbeddedManifest = z.output<typeof embeddedManifestSchema>;
