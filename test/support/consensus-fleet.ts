// The peer-consensus fleets of issue 14 on the simulator: image A's shared boot-time difference with two hand-made outliers, image B too small to rate, and a change pushed to a whole fleet after boot.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Manifest } from '../../src/domain/types.js';
import { packagePath } from '../../src/package-root.js';
import { INGEST_TOKEN, type Harness } from './harness.js';

export const RESOLV = '/etc/resolv.conf';
export const SSHD = '/etc/ssh/sshd_config';
export const BAKED_RESOLV = 'a'.repeat(64);
export const BOOT_RESOLV = 'b'.repeat(64);
export const BAKED_SSHD = 'c'.repeat(64);
export const HAND_SSHD = 'd'.repeat(64);
export const RESOLV_PATH = `host.files["${RESOLV}"].sha256`;
export const SSHD_PATH = `host.files["${SSHD}"].sha256`;

/** Bakes an image whose manifest declares both files, and launches `count` standalone instances of it. */
export async function fleetOf(h: Harness, channel: string, count: number): Promise<string[]> {
  const manifest: Manifest = await h.addImage({ region: 'us-east-1', channel });
  const declared: Manifest = {
    ...manifest,
    host: { files: { [RESOLV]: { sha256: BAKED_RESOLV }, [SSHD]: { sha256: BAKED_SSHD } } },
  };
  expect((await h.post('/api/v1/manifests', declared)).status).toBe(201);
  const launched = await h.control.launchBulk({
    region: 'us-east-1',
    count,
    channel,
    imageId: manifest.image.id,
    group: null,
  });
  return launched.instanceIds;
}

/** The agent's push of both files, stamped `at` (the daemon's now). */
export async function push(
  h: Harness,
  instanceId: string,
  files: Record<string, string>,
  at: Date,
): Promise<void> {
  const host = {
    files: Object.fromEntries(Object.entries(files).map(([path, sha256]) => [path, { sha256 }])),
  };
  const { status } = await h.post(
    '/api/v1/fingerprints',
    { instanceId, observedAt: at.toISOString(), host },
    INGEST_TOKEN,
  );
  expect(status).toBe(202);
}

/** The image id of an instance, as the daemon stored it. */
export async function imageOf(h: Harness, instanceId: string): Promise<string> {
  const { body } = await h.get<{ instance: { imageId: string } }>(`/api/v1/instances/${instanceId}`);
  return body.instance.imageId;
}

/** A label value as the text exposition writes it (the harness's samples parser keeps the escapes). */
export function exposed(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
}

export interface BootTimeFleet {
  /** 20 instances, all with cloud-init's resolv.conf since boot. */
  imageA: string[];
  /** 3 instances with the same resolv.conf: too few peers to rate. */
  imageB: string[];
  /** The first two of image A, whose sshd_config was also edited by hand. */
  handMade: string[];
}

/** Image A and B launched, pushed as they booted, and scanned. */
export async function bootTimeFleet(h: Harness): Promise<BootTimeFleet> {
  const imageA = await fleetOf(h, 'consensus-a', 20);
  const imageB = await fleetOf(h, 'consensus-b', 3);
  const handMade = imageA.slice(0, 2);
  // The agents push once a scan has seen their instances (before that the push is refused).
  await h.scan();
  for (const id of [...imageA, ...imageB])
    await push(
      h,
      id,
      { [RESOLV]: BOOT_RESOLV, [SSHD]: handMade.includes(id) ? HAND_SSHD : BAKED_SSHD },
      new Date(),
    );
  await h.scan();
  return { imageA, imageB, handMade };
}

/** A hand-edited resolv.conf, unlike both the baked one and cloud-init's. */
export const HAND_RESOLV = 'e'.repeat(64);

/** An image's 20 instances: the files their agents push at boot, and after the hand edit on every one. */
export interface AfterBootEdit {
  channel: string;
  atBoot: Record<string, string>;
  edited: Record<string, string>;
}

/** Compliant at boot, then sshd_config changed by hand on every instance. */
export const SSHD_EDITED: AfterBootEdit = {
  channel: 'consensus-c',
  atBoot: { [RESOLV]: BAKED_RESOLV, [SSHD]: BAKED_SSHD },
  edited: { [RESOLV]: BAKED_RESOLV, [SSHD]: HAND_SSHD },
};

/** cloud-init's resolv.conf since boot, then resolv.conf edited by hand: same path and change, another value. */
export const RESOLV_REEDITED: AfterBootEdit = {
  channel: 'consensus-d',
  atBoot: { [RESOLV]: BOOT_RESOLV, [SSHD]: BAKED_SSHD },
  edited: { [RESOLV]: HAND_RESOLV, [SSHD]: BAKED_SSHD },
};

/**
 * 20 instances of one image pushed as they booted, then edited by hand on every one of them two
 * hours later (past `signal.freshWindow`), and scanned. `daemonNow` is the harness's clock; `advance`
 * moves it on by the given milliseconds.
 */
export async function afterBootFleet(
  h: Harness,
  edit: AfterBootEdit,
  daemonNow: () => Date,
  advance: (ms: number) => void,
): Promise<string[]> {
  const fleet = await fleetOf(h, edit.channel, 20);
  await h.scan();
  for (const id of fleet) await push(h, id, edit.atBoot, daemonNow());
  await h.scan();
  advance(2 * 60 * 60_000);
  for (const id of fleet) await push(h, id, edit.edited, daemonNow());
  await h.scan();
  return fleet;
}

/**
 * Enforce-mode rules: the replacement rules due at once, plus both files replaced, each needing
 * approval, so planned replacements wait as jobs and the fleet stays as it is.
 */
export function enforceRules(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'dw-consensus-rules-'));
  cpSync(packagePath('test/fixtures/rules-immediate'), dir, { recursive: true });
  writeFileSync(
    join(dir, '20-files.yaml'),
    [
      'rules:',
      '  - id: file-sshd',
      `    match: { path: 'host.files["${SSHD}"].**' }`,
      '    severity: critical',
      '    action: replace',
      '    approval: required',
      '  - id: files',
      "    match: { path: 'host.files.**' }",
      '    severity: warning',
      '    action: replace',
      '    approval: required',
      '',
    ].join('\n'),
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
