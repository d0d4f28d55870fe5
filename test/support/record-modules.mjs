// Preload (`node --import`) that appends every module URL the process resolves to $RECORD_MODULES_FILE.
import { appendFileSync } from 'node:fs';
import module from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

const file = process.env.RECORD_MODULES_FILE;

/** Runs in the loader thread: sees every `import` and `import()`, static or dynamic. */
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (file) appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}

if (isMainThread && file) {
  module.register(import.meta.url);
  // Node 20's resolve hook does not see require(): CommonJS packages' own requires are recorded here.
  const resolveFilename = module._resolveFilename;
  module._resolveFilename = function recordRequire(...args) {
    const path = resolveFilename.apply(this, args);
    appendFileSync(file, `${path.startsWith('/') ? pathToFileURL(path).href : path}\n`);
    return path;
  };
}
