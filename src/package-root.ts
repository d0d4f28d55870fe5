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

/**
 * A worker thread's entry file, `name` built beside the module at `moduleUrl` in dist/src/, or taken
 * from dist/src/ when that module runs from its TypeScript source (vitest): a worker needs JavaScript.
 */
export function workerEntry(moduleUrl: string, name: string): string {
  const here = fileURLToPath(moduleUrl);
  return here.endsWith('.ts') ? packagePath('dist', 'src', name) : join(dirname(here), name);
}
