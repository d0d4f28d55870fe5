// Test builders: a baseline instance, manifest and host observation that match each other, overridable per test.
import type {
  HostObservation,
  InstanceObservation,
  Manifest,
  Pair,
  ResolvedManifest,
} from '../../src/domain/types.js';

export const NOW = Date.parse('2026-11-21T12:00:00Z');

export function manifestOf(
  manifest: Partial<Omit<Manifest, 'image'>> & { image?: Partial<Manifest['image']> } = {},
): Manifest {
  return {
    schemaVersion: 1,
    ...manifest,
    image: { id: 'ami-0123456789abcdef0', region: 'us-east-1', channel: 'web', ...manifest.image },
  };
}

export function resolved(manifest: Manifest, extra: Partial<ResolvedManifest> = {}): ResolvedManifest {
  return {
    manifest,
    digest: 'digest',
    importedAt: '2026-11-20T10:00:00Z',
    revokedAt: null,
    revokedReason: null,
    status: 'active',
    supersededBy: null,
    ...extra,
  };
}

export function instanceOf(extra: Partial<InstanceObservation> = {}): InstanceObservation {
  return {
    instanceId: 'i-0aaa',
    ownerId: null,
    account: '123456789012',
    region: 'us-east-1',
    imageId: 'ami-0123456789abcdef0',
    state: 'running',
    instanceType: 't3.small',
    iamInstanceProfile: 'arn:aws:iam::123456789012:instance-profile/web',
    securityGroups: ['sg-0aa11bb22cc33dd44'],
    metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled' },
    tags: { role: 'web' },
    asgName: null,
    subnetId: 'subnet-1',
    launchTime: '2026-11-21T00:00:00Z',
    source: 'ec2',
    observedAt: '2026-11-21T12:00:00Z',
    ...extra,
  };
}

export function hostOf(host: HostObservation['host'], extra: Partial<HostObservation> = {}): HostObservation {
  return { instanceId: 'i-0aaa', source: 'agent', observedAt: '2026-11-21T11:59:00Z', host, ...extra };
}

export function pairOf(
  instance: InstanceObservation,
  manifest: ResolvedManifest | null,
  host: HostObservation | null = null,
): Pair {
  return {
    instance,
    manifest,
    hosts: host ? [host] : [],
    hostStatus: manifest?.manifest.host ? (host ? 'fresh' : 'missing') : 'not-declared',
  };
}
