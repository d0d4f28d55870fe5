// Domain types shared by every layer: manifests, observations, differences, findings, rules.

export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

export type Action = 'report' | 'replace';

/**
 * Path-level changes plus image-level changes (path `image.id`), and `truncated`: the one finding that
 * stands for a section's findings beyond `scan.maxFindingsPerSection` (path = the section).
 */
export type Change =
  'added' | 'removed' | 'changed' | 'unknown-image' | 'revoked-image' | 'superseded-image' | 'truncated';
export const CHANGES: readonly Change[] = [
  'added',
  'removed',
  'changed',
  'unknown-image',
  'revoked-image',
  'superseded-image',
  'truncated',
];

/** EC2 states driftwarden scans; terminated/shutting-down instances are not part of the fleet. */
export type Ec2State = 'pending' | 'running' | 'stopping' | 'stopped';

/** A launch-time scalar the manifest may pin to one value or a list of accepted values. */
export type Accepted = string | string[];

export interface FileFingerprint {
  sha256?: string;
  mode?: string;
  owner?: string;
}

export interface HostSection {
  packages?: Record<string, string>;
  files?: Record<string, FileFingerprint>;
  services?: Record<string, string>;
}

export interface LaunchSection {
  instanceType?: Accepted;
  iamInstanceProfile?: Accepted;
  securityGroups?: string[];
  metadataOptions?: { httpTokens?: Accepted; httpEndpoint?: Accepted };
  userDataSha256?: Accepted;
  tags?: Record<string, string>;
}

export interface ManifestImage {
  id: string;
  region: string;
  name?: string;
  channel?: string;
  builtAt?: string;
  source?: Record<string, string>;
}

/** The native manifest (docs/design.md §2), as validated at the boundary. */
export interface Manifest {
  schemaVersion: 1;
  image: ManifestImage;
  launch?: LaunchSection;
  host?: HostSection;
}

export type ManifestStatus = 'active' | 'revoked' | 'superseded';

export interface StoredManifest {
  manifest: Manifest;
  /** sha256 of the canonical JSON body; identical re-import is a no-op, a different body conflicts. */
  digest: string;
  importedAt: string;
  revokedAt: string | null;
  revokedReason: string | null;
}

/** A manifest with its effective status (supersession is derived, never stored). */
export interface ResolvedManifest extends StoredManifest {
  status: ManifestStatus;
  supersededBy: string | null;
}

/** One scan target: an account × region pair. */
export interface Target {
  account: string | null;
  region: string;
  roleArn: string | null;
  /** STS ExternalId for `roleArn`. */
  externalId?: string | null;
  filters: Readonly<Record<string, readonly string[]>>;
}

/** Slim per-instance observation from EC2 (never the SDK object). */
export interface InstanceObservation {
  instanceId: string;
  /** The target's configured account: the identity stale/gone matching uses (null = default credentials). */
  account: string | null;
  /** The owning account AWS reported for the reservation, for display. */
  ownerId: string | null;
  region: string;
  imageId: string;
  state: Ec2State;
  instanceType: string | null;
  iamInstanceProfile: string | null;
  securityGroups: string[];
  metadataOptions: { httpTokens: string | null; httpEndpoint: string | null };
  tags: Record<string, string>;
  /** Auto Scaling group name from the `aws:autoscaling:groupName` tag. */
  asgName: string | null;
  subnetId: string | null;
  launchTime: string | null;
  /** Present only when the instance's manifest declares `userDataSha256`; null = no user data. */
  userDataSha256?: string | null;
  source: 'ec2';
  observedAt: string;
}

export type HostSource = 'agent' | 'aws-config';
export const HOST_SOURCES: readonly HostSource[] = ['agent', 'aws-config'];

/** Host fingerprint pushed by an agent (or collected from inventory), in the manifest's `host` format. */
export interface HostObservation {
  instanceId: string;
  source: HostSource;
  observedAt: string;
  host: HostSection;
  /** sha256 of each section's canonical JSON, as the agent computed it (see src/host/fingerprint.ts). */
  digests?: Partial<Record<keyof HostSection, string>>;
  /** Selected paths the source could not read: unknown, so never reported as removed. */
  skipped?: { path: string; reason: string }[];
}

/** Whether host data could be compared: fresh, too old (stale), or never received (missing). */
export type HostStatus = 'fresh' | 'stale' | 'missing' | 'not-declared';

export interface Pair {
  instance: InstanceObservation;
  manifest: ResolvedManifest | null;
  /** Fresh host observations, one per source, agent first; stale ones are never compared. */
  hosts: HostObservation[];
  /** `stale` when any source's newest observation is past its freshness limit. */
  hostStatus: HostStatus;
}

/** What one host source saw at a difference's path (null: absent there). */
export interface SourceView {
  source: HostSource;
  observedAt: string;
  actual: unknown;
}

export interface Difference {
  instanceId: string;
  imageId: string;
  path: string;
  change: Change;
  expected: unknown;
  actual: unknown;
  /** Present when two or more sources cover the path: each one's value, so a disagreement shows. */
  sources?: SourceView[];
}

/** Context a rule's `where` can scope on. */
export interface InstanceContext {
  instanceId: string;
  account: string | null;
  region: string;
  group: string | null;
  /** The channel of the instance's manifest; null without one. */
  channel: string | null;
  tags: Record<string, string>;
}

export interface SourceLocation {
  file: string;
  line: number;
}

export interface RuleMatch {
  /** Glob patterns over path segments; any may match. Empty/absent = any path. */
  path?: string[];
  change?: Change[];
}

export interface RuleWhere {
  tags?: Record<string, string>;
  account?: string[];
  region?: string[];
  group?: string[];
  channel?: string[];
}

export interface Rule {
  id: string;
  description: string | null;
  match: RuleMatch;
  where: RuleWhere | null;
  severity: Severity;
  action: Action;
  /** How long a finding must persist before a replacement; null = immediately. */
  forMs: number | null;
  /** A replacement for this rule waits for a human approval. */
  approvalRequired: boolean;
  location: SourceLocation;
}

export interface IgnoreEntry {
  match: RuleMatch;
  where: RuleWhere | null;
  location: SourceLocation;
}

export interface RuleSet {
  ignore: IgnoreEntry[];
  rules: Rule[];
}

export const UNCLASSIFIED_RULE = 'unclassified';

export interface Finding extends Difference {
  rule: string;
  severity: Severity;
  action: Action;
  forMs: number | null;
}

/**
 * What an image's peers say about a finding (docs/signal.md): shown by most of them (`fleet-wide`),
 * by this instance and at most a small minority (`outlier`), or not rated (`unrated`).
 */
export type FindingScope = 'fleet-wide' | 'outlier' | 'unrated';
export const FINDING_SCOPES: readonly FindingScope[] = ['fleet-wide', 'outlier', 'unrated'];

/** When a fleet-wide finding appeared: within `signal.freshWindow` of launch, or later. */
export type FindingOnset = 'since-boot' | 'after-boot';
export const FINDING_ONSETS: readonly FindingOnset[] = ['since-boot', 'after-boot'];

/** The state an instance is reported in (metric label values). */
export type InstanceStatus = 'compliant' | 'drifted' | 'unknown_image' | 'stale';
export const INSTANCE_STATUSES: readonly InstanceStatus[] = [
  'compliant',
  'drifted',
  'unknown_image',
  'stale',
];

export type ScanOutcome = 'success' | 'partial' | 'failure';

export interface TargetResult {
  account: string | null;
  region: string;
  status: 'ok' | 'stale';
  error: string | null;
  /**
   * Host inventory sync of this target (present when an inventory source is enabled and EC2
   * answered): 'stale' means its inventory was not refreshed this scan; EC2 data still counts.
   */
  inventory?: { source: HostSource; status: 'ok' | 'stale'; error: string | null };
}
