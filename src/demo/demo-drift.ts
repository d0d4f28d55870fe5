// The demo's stand-ins for people and agents: drift injected into the simulator, fingerprints pushed over the API.
import type { Logger } from 'pino';
import type { DriftChange, Simulator } from '@driftwarden/simulator';
import { postJson, type DemoApi } from './demo-api.js';

export interface DriftInjectorOptions {
  sim: Simulator;
  api: DemoApi;
  logger: Logger;
  seed: number;
  /** Instances the injector never drifts nor heals (the demo's accepted drift stays as it is). */
  exclude?: readonly string[];
}

interface DriftKind {
  name: string;
  change(sim: Simulator, region: string): DriftChange;
}

const KINDS: DriftKind[] = [
  { name: 'instance type changed', change: () => ({ instanceType: 'm5.4xlarge' }) },
  { name: 'IMDSv1 re-enabled', change: () => ({ httpTokens: 'optional' }) },
  { name: 'required tag removed', change: () => ({ tags: { role: null } }) },
  {
    name: 'security group attached by hand',
    change: (sim, region) => {
      const other = sim.fleet.images.find((i) => i.region === region)?.spec.securityGroupIds.at(-1);
      return { addSecurityGroups: other ? [other] : [] };
    },
  },
  { name: 'package upgraded by hand', change: () => ({ host: { packages: { openssl: '3.0.99-hotfix1' } } }) },
  {
    name: 'sshd_config edited',
    change: () => ({
      host: { files: { '/etc/ssh/sshd_config': { sha256: 'e'.repeat(64), mode: '0644', owner: 'root' } } },
    }),
  },
];

export function createDriftInjector(options: DriftInjectorOptions): {
  injectOne(): Promise<void>;
  pushFingerprints(): Promise<void>;
} {
  const { sim, logger } = options;
  let step = options.seed;
  const drifted: string[] = [];

  return {
    injectOne() {
      step++;
      // Every fourth step heals the oldest drift, so findings also resolve on the dashboards.
      if (step % 4 === 0 && drifted.length > 0) {
        const id = drifted.shift() as string;
        sim.fleet.reset(id);
        logger.info({ instanceId: id }, 'demo: drift undone');
        return Promise.resolve();
      }
      const candidates = sim.fleet
        .allInstances()
        .filter(
          (i) =>
            i.state === 'running' &&
            i.channel !== null &&
            !drifted.includes(i.instanceId) &&
            !options.exclude?.includes(i.instanceId),
        );
      const target = candidates[(step * 7919) % Math.max(1, candidates.length)];
      if (!target) return Promise.resolve();
      const kind = KINDS[step % KINDS.length] as DriftKind;
      sim.fleet.drift(target.instanceId, kind.change(sim, target.region));
      drifted.push(target.instanceId);
      logger.info({ instanceId: target.instanceId, drift: kind.name }, 'demo: drift injected');
      return Promise.resolve();
    },

    async pushFingerprints() {
      const observedAt = new Date().toISOString();
      for (const instance of sim.fleet.allInstances()) {
        if (instance.state !== 'running') continue;
        const response = await postJson(options.api, '/fingerprints', {
          instanceId: instance.instanceId,
          observedAt,
          host: instance.host,
        });
        // 404 = not scanned yet; the next round pushes again, like a real agent.
        if (!response.ok && response.status !== 404) {
          logger.warn(
            { instanceId: instance.instanceId, status: response.status },
            'demo: fingerprint push refused',
          );
        }
      }
    },
  };
}
