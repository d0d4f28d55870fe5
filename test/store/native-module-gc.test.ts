// A process that opens and closes databases survives V8 collecting the closed handles (the native module's build).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/package-root.js';

// better-sqlite3 12 wraps its objects in node::ObjectWrap. From Node 24.19 that header registers an
// environment cleanup hook per object and removes it in the destructor, which aborts the process
// (`Assertion failed: (env) != nullptr` in node::RemoveEnvironmentCleanupHook) when V8 collects the
// object from a garbage collection (nodejs/node#65446). The crash follows the headers the module
// was compiled against, not the runtime: built against Node <= 24.18.1 (or 20, 22) it is fine on
// every 24.x. Under vitest it shows only as "Worker exited unexpectedly" in whichever test file's
// worker happened to collect a handle; this test names the cause.
describe('the native SQLite module', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dw-native-gc-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lets V8 collect closed databases without aborting the process', () => {
    const database = pathToFileURL(packagePath('dist/src/store/database.js')).href;
    const script = `
      import { openDatabase } from ${JSON.stringify(database)};
      for (let i = 0; i < 500; i++) {
        const db = openDatabase(${JSON.stringify(join(dir, 'gc.db'))});
        db.prepare('SELECT 1').get();
        db.close();
      }
      globalThis.gc();
      await new Promise((resolve) => setTimeout(resolve, 50));
      globalThis.gc();
      console.log('collected');
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '--eval', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const build = `better-sqlite3 compiled against Node >= 24.19 headers aborts when a database is collected; rebuild it against <= 24.18.1 headers (npm_config_nodedir) or a Node 20/22 toolchain\n${child.stderr}`;
    expect({ status: child.status, signal: child.signal, stdout: child.stdout }, build).toEqual({
      status: 0,
      signal: null,
      stdout: 'collected\n',
    });
  });
});
