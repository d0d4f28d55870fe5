// A private copy of the shipped rules, for tests that edit the rules and reload them (SIGHUP).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../../src/package-root.js';

export interface RulesCopy {
  dir: string;
  remove(): void;
}

export function copyShippedRules(prefix: string): RulesCopy {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(packagePath('rules'), dir, { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
