import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', DRIFTWARDEN_LOG_LEVEL: 'silent' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // At least two workers: vitest's default (cores - 1) is one on a 2-core runner, and most files
    // wait on child daemons and the simulator rather than compute.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // One module cache per worker instead of one per file: re-importing the AWS SDK clients in every
    // file cost about 75 s of a run. Tests keep no state in modules (each opens its own store,
    // simulator, registry and server), and the suite passes in any file order.
    isolate: false,
    globalSetup: ['./test/support/global-setup.ts'],
  },
});
