// The scan benchmarks' common start: a seeded simulator with 1 % drifted instances and an in-process runtime over a temp database.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '@driftwarden/simulator';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/logging/logger.js';
import { createRuntime, type Runtime } from '../src/main.js';
import { packagePath } from '../src/package-root.js';

export interface BenchFleet {
  dir: string;
  sim: Simulator;
  runtime: Runtime;
}

export async function startBenchFleet(size: number, dirPrefix: string): Promise<BenchFleet> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const sim = await startSimulator({ instances: size, seed: 42, regions: ['us-east-1'] });
  // A few drifted instances so findings are written and updated on every scan.
  for (const instance of sim.fleet.allInstances().slice(0, Math.ceil(size / 100))) {
    sim.fleet.drift(instance.instanceId, { httpTokens: 'optional' });
  }
  const config = loadConfig({
    file: null,
    cwd: dir,
    env: {
      DRIFTWARDEN_DATABASE_PATH: join(dir, 'bench.db'),
      DRIFTWARDEN_AWS_ENDPOINT: sim.url,
      DRIFTWARDEN_AWS_MAX_REQUESTS_PER_SECOND: '10000',
      DRIFTWARDEN_TARGETS: '[{regions: [us-east-1]}]',
      DRIFTWARDEN_RULES_DIR: packagePath('rules'),
    },
  });
  const runtime = createRuntime({
    config,
    logger: createLogger({ level: 'silent', destination: 2, pretty: false }),
  });
  return { dir, sim, runtime };
}
