// Locates files shipped with the package (migrations/, rules/) from both src/ (vitest) and dist/src/ (built).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

/** The nearest ancestor of this module that holds package.json and migrations/. */
export function packageRoot(): string {
  if (cached !== null) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return (cached = dir);
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`cannot find the driftwarden package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function packagePath(...segments: string[]): string {
  return join(packageRoot(), ...segments);
}
