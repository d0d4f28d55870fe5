// Enabled systemd units under a root: the links `systemctl enable` creates in /etc/systemd/system/*.wants.
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { compareStrings } from '../core/compare-strings.js';
import { errorMessage } from '../domain/errors.js';
import type { Skip } from './skips.js';

const UNIT_DIR = 'etc/systemd/system';
const UNIT_SUFFIXES = ['.service', '.socket', '.timer', '.path', '.mount', '.target'];

/** `ssh.service` → `ssh`; other unit types keep their suffix (`apt-daily.timer`). */
export function serviceName(unit: string): string {
  return unit.endsWith('.service') ? unit.slice(0, -'.service'.length) : unit;
}

function isUnit(name: string): boolean {
  return UNIT_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/**
 * A unit linked from any `*.wants` or `*.requires` directory is `enabled`; a unit file in
 * /etc/systemd/system that links to /dev/null is `masked` (and masking wins). null: no systemd
 * unit directory, so services are not declared at all.
 */
export function scanServices(root: string): { services: Record<string, string> | null; skipped: Skip[] } {
  const services = new Map<string, string>();
  const skipped: Skip[] = [];
  const base = join(root, UNIT_DIR);
  let entries;
  try {
    entries = readdirSync(base, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { services: null, skipped };
    return { services: null, skipped: [{ path: `/${UNIT_DIR}`, reason: errorMessage(error) }] };
  }
  for (const entry of entries) {
    if (entry.isDirectory() && (entry.name.endsWith('.wants') || entry.name.endsWith('.requires'))) {
      try {
        for (const link of readdirSync(join(base, entry.name))) {
          if (isUnit(link)) services.set(serviceName(link), 'enabled');
        }
      } catch (error) {
        skipped.push({ path: `/${UNIT_DIR}/${entry.name}`, reason: errorMessage(error) });
      }
    }
  }
  for (const entry of entries) {
    if (entry.isSymbolicLink() && isUnit(entry.name)) {
      try {
        if (readlinkSync(join(base, entry.name)) === '/dev/null')
          services.set(serviceName(entry.name), 'masked');
      } catch (error) {
        skipped.push({ path: `/${UNIT_DIR}/${entry.name}`, reason: errorMessage(error) });
      }
    }
  }
  const sorted = [...services].sort(([a], [b]) => compareStrings(a, b));
  return { services: Object.fromEntries(sorted), skipped };
}
