// What each image channel bakes: instance types, packages, config files and services per build.
import { createHash } from 'node:crypto';
import type { BakedSpec, HostFile, HostFingerprint } from './world-types.js';

export const DEFAULT_CHANNELS = ['web', 'api', 'worker', 'batch'] as const;

interface ChannelProfile {
  instanceTypes: string[];
  /** Per package: versions by build generation (0 = older, 1 = newer); the last one repeats. */
  packages: Record<string, string[]>;
  files: Record<string, { mode: string; owner: string }>;
  services: string[];
}

const BASE_PACKAGES: Record<string, string[]> = {
  openssl: ['3.0.15-1~deb12u1', '3.0.16-1~deb12u1'],
  'openssh-server': ['1:9.2p1-2+deb12u3', '1:9.2p1-2+deb12u5'],
  curl: ['7.88.1-10+deb12u8', '7.88.1-10+deb12u12'],
  'ca-certificates': ['20230311', '20230311+deb12u1'],
  libc6: ['2.36-9+deb12u9', '2.36-9+deb12u10'],
};

const BASE_FILES: Record<string, { mode: string; owner: string }> = {
  '/etc/ssh/sshd_config': { mode: '0600', owner: 'root' },
  '/etc/sudoers': { mode: '0440', owner: 'root' },
  '/etc/apt/sources.list': { mode: '0644', owner: 'root' },
};

const PROFILES: Record<string, ChannelProfile> = {
  web: {
    instanceTypes: ['t3.small', 't3.medium'],
    packages: { nginx: ['1.22.1-9+deb12u1', '1.22.1-9+deb12u2'] },
    files: { '/etc/nginx/nginx.conf': { mode: '0644', owner: 'root' } },
    services: ['nginx'],
  },
  api: {
    instanceTypes: ['t3.medium', 't3.large'],
    packages: { nodejs: ['18.19.0+dfsg-6~deb12u2', '18.20.4+dfsg-1~deb12u1'] },
    files: { '/etc/systemd/system/api.service': { mode: '0644', owner: 'root' } },
    services: ['api'],
  },
  worker: {
    instanceTypes: ['c5.large', 'c5.xlarge'],
    packages: {
      python3: ['3.11.2-1+b1', '3.11.2-1+b1'],
      'redis-tools': ['5:7.0.15-1~deb12u1', '5:7.0.15-1~deb12u3'],
    },
    files: { '/etc/worker/worker.conf': { mode: '0640', owner: 'worker' } },
    services: ['worker'],
  },
  batch: {
    instanceTypes: ['m5.large', 'm5.xlarge'],
    packages: { 'openjdk-17-jre-headless': ['17.0.13+11-1~deb12u1', '17.0.14+7-1~deb12u1'] },
    files: { '/etc/cron.d/batch': { mode: '0644', owner: 'root' } },
    services: ['cron'],
  },
};

/** Channels nobody listed still get a plausible, minimal profile. */
const GENERIC_PROFILE: ChannelProfile = {
  instanceTypes: ['t3.micro', 't3.small'],
  packages: {},
  files: {},
  services: [],
};

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function versionFor(versions: string[], generation: number): string {
  return versions[Math.min(generation, versions.length - 1)] ?? 'unknown';
}

/** The host state one build of a channel bakes; file hashes depend on channel and build label. */
export function bakeHost(channel: string, generation: number, buildLabel: string): HostFingerprint {
  const profile = PROFILES[channel] ?? GENERIC_PROFILE;
  const packages: Record<string, string> = {};
  for (const [name, versions] of Object.entries({ ...BASE_PACKAGES, ...profile.packages })) {
    packages[name] = versionFor(versions, generation);
  }
  const files: Record<string, HostFile> = {};
  for (const [path, meta] of Object.entries({ ...BASE_FILES, ...profile.files })) {
    files[path] = {
      sha256: sha256Hex(`${path}\n${channel}\n${buildLabel}\n`),
      mode: meta.mode,
      owner: meta.owner,
    };
  }
  const services: Record<string, string> = { ssh: 'enabled', chrony: 'enabled' };
  for (const service of profile.services) services[service] = 'enabled';
  return { packages, files, services };
}

export function userDataFor(channel: string, region: string): string {
  return `#!/bin/bash\nset -euo pipefail\n/opt/bootstrap/run --channel '${channel}' --region '${region}'\n`;
}

export interface BakeSpecInput {
  channel: string;
  region: string;
  account: string;
  generation: number;
  buildLabel: string;
  securityGroupIds: string[];
}

/** The full baked spec of one build: launch settings plus host fingerprint. */
export function bakeSpec(input: BakeSpecInput): BakedSpec {
  const profile = PROFILES[input.channel] ?? GENERIC_PROFILE;
  const userData = userDataFor(input.channel, input.region);
  return {
    instanceTypes: [...profile.instanceTypes],
    iamInstanceProfileArn: `arn:aws:iam::${input.account}:instance-profile/${input.channel}`,
    securityGroupIds: [...input.securityGroupIds],
    httpTokens: 'required',
    userData,
    userDataSha256: sha256Hex(userData),
    requiredTags: { role: input.channel, 'managed-by': 'packer' },
    host: bakeHost(input.channel, input.generation, input.buildLabel),
  };
}

/** Channels whose instances run in an Auto Scaling group; the rest are standalone. */
export function usesAutoScaling(channel: string): boolean {
  return channel !== 'batch';
}
