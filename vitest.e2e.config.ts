import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Tests that need Debian packages (prometheus, prometheus-alertmanager, docker-compose, chromium); `.ci/run` installs them first.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', DRIFTWARDEN_LOG_LEVEL: 'silent' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at once even on 2 cores (vitest's default there is one): the kill storm alone takes
    // about 80 s, mostly waiting on restarts and the simulated lifecycle, while the rest runs beside it.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['./test/support/global-setup.ts'],
  },
});
