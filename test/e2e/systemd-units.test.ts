// systemd accepts the shipped units: `systemd-analyze verify` on the daemon, its per-shard template (as an instance) and the agent.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { packagePath } from '../../src/package-root.js';
import { requireBinary } from '../support/binaries.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-systemd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Verifies `unit` (a file name in deploy/systemd) as `as`, e.g. a template as one of its instances. */
function verify(unit: string, as: string): { status: number | null; output: string } {
  const analyze = requireBinary(['systemd-analyze'], 'systemd');
  copyFileSync(packagePath(`deploy/systemd/${unit}`), join(dir, unit));
  const result = spawnSync(analyze, ['verify', join(dir, as)], { cwd: dir, encoding: 'utf8' });
  // Some problems (an unknown key, a bad value) are only warnings, printed with exit code 0.
  return { status: result.status, output: result.stdout + result.stderr };
}

it.each([
  ['driftwarden.service', 'driftwarden.service'],
  ['driftwarden@.service', 'driftwarden@2.service'],
  ['driftwarden-agent.service', 'driftwarden-agent.service'],
])('systemd-analyze verify accepts %s (as %s)', (unit, as) => {
  expect(verify(unit, as)).toEqual({ status: 0, output: '' });
});
