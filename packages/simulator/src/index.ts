// Starts the EC2 + Auto Scaling + STS simulator over a seeded fleet; the entry point for tests, `demo` and `simulate`.
import type { AddressInfo } from 'node:net';
import { AccountRegistry } from './accounts.js';
import { FaultRegistry } from './faults.js';
import { generateFleet } from './world-generator.js';
import { SimWorld } from './sim-world.js';
import type { LifecycleSettings } from './lifecycle.js';
import { RequestLog, type RequestLogEntry } from './request-log.js';
import { createSimulatorServer } from './server.js';

export interface SimulatorOptions {
  host?: string;
  port?: number;
  instances?: number;
  seed?: number;
  regions?: string[];
  account?: string;
  /**
   * Clock for launch and build times of things added at runtime (the seeded fleet has fixed times),
   * and for lifecycles: pass a controllable one to step pending → running without sleeping.
   */
  now?: () => Date;
  /** How long pending, status checks and shutting-down last (default 300 ms each). */
  lifecycle?: Partial<LifecycleSettings>;
}

export interface Simulator {
  /** Base URL to pass as the SDK's `endpoint`, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** The default account's fleet (the seeded one). */
  fleet: SimWorld;
  /** Every account's fleet, IAM roles for STS AssumeRole, and the keys it issued. */
  accounts: AccountRegistry;
  faults: FaultRegistry;
  requestLog(since?: number): RequestLogEntry[];
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const fleetOptions = {
    ...(options.now ? { now: options.now } : {}),
    ...(options.lifecycle ? { lifecycle: options.lifecycle } : {}),
  };
  const fleet = new SimWorld(
    generateFleet({
      instances: options.instances ?? 60,
      seed: options.seed ?? 1,
      regions: options.regions ?? ['us-east-1', 'eu-west-1'],
      account: options.account ?? '123456789012',
    }),
    fleetOptions,
  );
  const accounts = new AccountRegistry(fleet, fleetOptions);
  const faults = new FaultRegistry();
  const log = new RequestLog();
  const server = createSimulatorServer({ fleet, accounts, faults, log });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    fleet,
    accounts,
    faults,
    requestLog: (since?: number) => log.entries(since),
    close: () =>
      new Promise<void>((resolve, reject) => {
        // The SDK keeps connections alive; without this close() would wait for them to idle out.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export { generateFleet, type GenerateFleetOptions } from './world-generator.js';
export { SimWorld } from './sim-world.js';
export { SimulatorControl, SimulatorControlError } from './control-client.js';
export type { RequestLogEntry } from './request-log.js';
export type { BakedSpec, Fleet, SimImage, SimInstance, HostFingerprint } from './world-types.js';
export type {
  DriftChange,
  LaunchSpec,
  BulkLaunchSpec,
  AddImageSpec,
  FaultSpec,
  FailureSpec,
  LifecycleSpec,
  RoleSpec,
} from './control-schemas.js';
export { AccountRegistry, type SimRole } from './accounts.js';
export type { SimAutoScalingGroup, GroupMember } from './asg-state.js';
export type { GroupView } from './world-views.js';
export type { FailureState } from './launch-failures.js';
export { DEFAULT_LIFECYCLE, type LifecycleSettings } from './lifecycle.js';
export type { SimLaunchTemplate } from './launch-templates.js';
export type { SimSnapshot } from './snapshots.js';
