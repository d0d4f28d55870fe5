// zod schemas for control-API request bodies; the inferred types are what the simulated world (SimWorld) accepts.
import { z } from 'zod';

const stateName = z.enum(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated']);
const httpTokens = z.enum(['required', 'optional']);
const httpEndpoint = z.enum(['enabled', 'disabled']);
const nonEmpty = z.string().min(1);

const hostPatch = z.strictObject({
  packages: z.record(z.string(), z.string().nullable()).optional(),
  files: z
    .record(
      z.string(),
      z
        .strictObject({
          sha256: z.string().optional(),
          mode: z.string().optional(),
          owner: z.string().optional(),
        })
        .nullable(),
    )
    .optional(),
  services: z.record(z.string(), z.string().nullable()).optional(),
});

export const driftChangeSchema = z.strictObject({
  instanceType: nonEmpty.optional(),
  securityGroups: z.array(nonEmpty).optional(),
  addSecurityGroups: z.array(nonEmpty).optional(),
  removeSecurityGroups: z.array(nonEmpty).optional(),
  httpTokens: httpTokens.optional(),
  httpEndpoint: httpEndpoint.optional(),
  tags: z.record(z.string(), z.string().nullable()).optional(),
  imageId: nonEmpty.optional(),
  userData: z.string().nullable().optional(),
  iamInstanceProfile: z.string().nullable().optional(),
  state: stateName.optional(),
  host: hostPatch.optional(),
});
export type DriftChange = z.infer<typeof driftChangeSchema>;

export const launchSpecSchema = z
  .strictObject({
    region: nonEmpty,
    imageId: nonEmpty.optional(),
    channel: nonEmpty.optional(),
    instanceType: nonEmpty.optional(),
    tags: z.record(z.string(), z.string()).optional(),
    securityGroups: z.array(nonEmpty).optional(),
    iamInstanceProfile: z.string().nullable().optional(),
    httpTokens: httpTokens.optional(),
    httpEndpoint: httpEndpoint.optional(),
    userData: z.string().nullable().optional(),
    state: stateName.optional(),
    group: z.string().nullable().optional(),
    env: nonEmpty.optional(),
    subnetId: nonEmpty.optional(),
  })
  .refine((spec) => spec.imageId !== undefined || spec.channel !== undefined, {
    message: 'either imageId or channel is required',
    path: ['imageId'],
  });
export type LaunchSpec = z.infer<typeof launchSpecSchema>;

export const bulkLaunchSchema = z.strictObject({
  region: nonEmpty,
  count: z.number().int().min(1).max(20_000),
  channel: nonEmpty,
  imageId: nonEmpty.optional(),
  group: z.string().nullable().optional(),
  env: nonEmpty.optional(),
});
export type BulkLaunchSpec = z.infer<typeof bulkLaunchSchema>;

export const addImageSchema = z.strictObject({
  region: nonEmpty,
  channel: nonEmpty,
  imageId: z
    .string()
    .regex(/^ami-[0-9a-f]{8,17}$/)
    .optional(),
  name: nonEmpty.optional(),
  builtAt: z.iso.datetime().optional(),
  instanceTypes: z.array(nonEmpty).min(1).optional(),
  iamInstanceProfile: nonEmpty.optional(),
  securityGroups: z.array(nonEmpty).optional(),
  httpTokens: httpTokens.optional(),
  userData: z.string().optional(),
  host: hostPatch.optional(),
});
export type AddImageSpec = z.infer<typeof addImageSchema>;

export const faultSpecSchema = z
  .strictObject({
    region: nonEmpty.optional(),
    operation: nonEmpty.optional(),
    kind: z.enum(['throttle', '5xx', 'unauthorized', 'latency']),
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    count: z.number().int().min(1).optional(),
  })
  .refine((spec) => spec.kind !== 'latency' || spec.latencyMs !== undefined, {
    message: 'latencyMs is required for kind "latency"',
    path: ['latencyMs'],
  });
export type FaultSpec = z.infer<typeof faultSpecSchema>;

/** Failures of the fleet itself (as opposed to API faults): launches that fail, instances that never pass checks. */
export const failureSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('launchFails'), count: z.number().int().min(1).max(1_000_000) }),
  z.strictObject({
    kind: z.literal('neverHealthy'),
    group: nonEmpty.optional(),
    imageId: nonEmpty.optional(),
  }),
]);
export type FailureSpec = z.infer<typeof failureSpecSchema>;

const durationMs = z.number().int().min(0).max(86_400_000);

export const lifecycleSpecSchema = z.strictObject({
  pendingMs: durationMs.optional(),
  statusCheckMs: durationMs.optional(),
  terminateMs: durationMs.optional(),
});
export type LifecycleSpec = z.infer<typeof lifecycleSpecSchema>;

/** An IAM role in some account that STS AssumeRole may assume (the account defaults to the ARN's). */
export const roleSpecSchema = z.strictObject({
  roleArn: nonEmpty,
  account: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  externalId: nonEmpty.nullable().optional(),
  deny: z.boolean().optional(),
  maxSessionSeconds: z.number().int().min(1).max(43_200).nullable().optional(),
});
export type RoleSpec = z.infer<typeof roleSpecSchema>;

/** AWS Config behaviour: how many of the next BatchGetResourceConfig keys come back unprocessed. */
export const configSpecSchema = z.strictObject({
  unprocessedKeys: z.number().int().min(0).max(1_000_000),
});
export type ConfigSpec = z.infer<typeof configSpecSchema>;
