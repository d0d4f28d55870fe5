// The layer boundaries in eslint.config.js: each forbidden import is reported with its rule, allowed ones are not.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// The project's own config, minus type information: the probes are virtual files no tsconfig lists,
// and the boundary rules read import specifiers only.
const eslint = new ESLint({ cwd: ROOT, overrideConfig: tseslint.configs.disableTypeChecked });

const BOUNDARY_RULES = new Set(['@typescript-eslint/no-restricted-imports', 'no-restricted-syntax']);

/** The boundary messages ESLint reports for `code` saved as `file` (a path inside the project). */
async function boundaryMessages(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId !== null && BOUNDARY_RULES.has(m.ruleId))
    .map((m) => m.message);
}

const APP_RULE = 'src/app imports only domain, core and app';
const SIMULATOR_RULE = 'The daemon never loads the simulator';

describe('layer boundaries', () => {
  it.each([
    [
      'app → http',
      'src/app/probe.ts',
      "import { createApp } from '../http/app.js';\nvoid createApp;",
      APP_RULE,
    ],
    [
      'app → store',
      'src/app/remediation/probe.ts',
      "export { openStore } from '../../store/index.js';",
      APP_RULE,
    ],
    [
      'app → express',
      'src/app/probe.ts',
      "import express from 'express';\nvoid express;",
      'src/app reaches SQLite, HTTP',
    ],
    [
      'core → node:fs',
      'src/core/probe.ts',
      "import { readFileSync } from 'node:fs';\nvoid readFileSync;",
      'src/core is pure: no I/O imports.',
    ],
    [
      'core → app',
      'src/core/probe.ts',
      "import type { FleetRepository } from '../app/ports.js';\nexport type X = FleetRepository;",
      'src/core is pure: it imports only src/domain.',
    ],
    [
      'domain → core',
      'src/domain/probe.ts',
      "import { compareStrings } from '../core/compare-strings.js';\nvoid compareStrings;",
      'src/domain is the vocabulary',
    ],
    [
      'store → http',
      'src/store/probe.ts',
      "import { HttpProblem } from '../http/problem.js';\nvoid HttpProblem;",
      'src/store is an adapter',
    ],
    [
      'sources → aws',
      'src/sources/ec2/probe.ts',
      "import { AwsClients } from '../../aws/aws-clients.js';\nvoid AwsClients;",
      'src/sources is an adapter',
    ],
    [
      'metrics → aws (a value, where only types may cross)',
      'src/metrics/probe.ts',
      "import { classifyAwsError } from '../aws/aws-middleware.js';\nvoid classifyAwsError;",
      'may import types only from src/aws/aws-middleware.js',
    ],
    [
      'http → main',
      'src/http/probe.ts',
      "import { startDaemon } from '../main.js';\nvoid startDaemon;",
      'Only src/cli starts the daemon',
    ],
    [
      'daemon → simulator',
      'src/main.ts',
      "import { startSimulator } from './simulator/index.js';\nvoid startSimulator;",
      SIMULATOR_RULE,
    ],
    [
      'daemon → simulator package',
      'src/http/probe.ts',
      "import { startSimulator } from '@driftwarden/simulator';\nvoid startSimulator;",
      SIMULATOR_RULE,
    ],
    [
      'a CLI command → simulator, statically',
      'src/cli/commands/scan.ts',
      "import { startSimulator } from '../../simulator/index.js';\nvoid startSimulator;",
      SIMULATOR_RULE,
    ],
    [
      'demo → simulator, statically',
      'src/cli/commands/demo.ts',
      "import { startSimulator } from '../../simulator/index.js';\nvoid startSimulator;",
      SIMULATOR_RULE,
    ],
    [
      'app → store, dynamically',
      'src/app/probe.ts',
      "export const load = () => import('../store/index.js');",
      APP_RULE,
    ],
    [
      'a CLI command → simulator, dynamically',
      'src/cli/commands/serve.ts',
      "export const load = () => import('../../simulator/index.js');",
      SIMULATOR_RULE,
    ],
  ])('reports %s', async (_name, file, code, rule) => {
    const messages = await boundaryMessages(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(rule);
  });

  it.each([
    [
      'app → core and domain',
      'src/app/probe.ts',
      "import { compareStrings } from '../core/compare-strings.js';\nimport type { Manifest } from '../domain/types.js';\nexport const f = (m: Manifest) => compareStrings(m.image.id, '');",
    ],
    [
      'app → a pino Logger type',
      'src/app/probe.ts',
      "import type { Logger } from 'pino';\nexport type L = Logger;",
    ],
    [
      'store → its app port',
      'src/store/probe.ts',
      "import type { FleetRepository } from '../app/ports.js';\nexport type F = FleetRepository;",
    ],
    [
      'manifests → a shared helper',
      'src/manifests/probe.ts',
      "import { AMI_ID_PATTERN } from '../config/aws-patterns.js';\nvoid AMI_ID_PATTERN;",
    ],
    [
      'http → the manifest parser (a listed edge)',
      'src/http/probe.ts',
      "import { parseManifestObject } from '../manifests/parse-manifest.js';\nvoid parseManifestObject;",
    ],
    [
      'metrics → an AWS outcome type (a listed type-only edge)',
      'src/metrics/probe.ts',
      "import type { AwsRequestOutcome } from '../aws/aws-middleware.js';\nexport type O = AwsRequestOutcome;",
    ],
    [
      'the CLI → any layer',
      'src/cli/probe.ts',
      "import { openStore } from '../store/index.js';\nimport { createApp } from '../http/app.js';\nvoid openStore; void createApp;",
    ],
    [
      'simulate → simulator, dynamically',
      'src/cli/commands/simulate.ts',
      "export const load = () => import('../../simulator/index.js');",
    ],
  ])('allows %s', async (_name, file, code) => {
    expect(await boundaryMessages(file, code)).toEqual([]);
  });
});
