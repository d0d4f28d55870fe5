// Instance lifecycle over time (pending → running → status ok, shutting-down → terminated), advanced lazily from timestamps.
import type { SimInstance } from './world-types.js';

export interface LifecycleSettings {
  /** How long a launched instance stays `pending` before it is `running`. */
  pendingMs: number;
  /** How long after `running` status checks report `initializing` before `ok` (or `impaired`). */
  statusCheckMs: number;
  /** How long a terminated instance stays `shutting-down` before it is `terminated`. */
  terminateMs: number;
}

export const DEFAULT_LIFECYCLE: Readonly<LifecycleSettings> = {
  pendingMs: 300,
  statusCheckMs: 300,
  terminateMs: 300,
};

/** EC2 status-check values: `ok` once checks passed, `impaired` when they failed. */
export type StatusCheck = 'ok' | 'initializing' | 'impaired' | 'not-applicable';

/** When things happened to an instance the simulator launched or is terminating (ms since epoch). */
interface Timeline {
  launchedAt: number | null;
  runningAt: number | null;
  terminatingAt: number | null;
  neverHealthy: boolean;
}

/**
 * Seeded instances have no timeline: they are running with passing checks from the start, and a
 * state set by drift stays exactly as set. Only launches and terminations made through the AWS API
 * move by themselves.
 */
export class InstanceLifecycle {
  #settings: LifecycleSettings;
  readonly #timelines = new Map<string, Timeline>();
  /** Instances whose state still has to move; keeps `advance` independent of fleet size. */
  readonly #inTransition = new Set<string>();

  constructor(settings: Partial<LifecycleSettings> = {}) {
    this.#settings = { ...DEFAULT_LIFECYCLE, ...definedOnly(settings) };
  }

  get settings(): LifecycleSettings {
    return { ...this.#settings };
  }

  configure(patch: Partial<LifecycleSettings>): LifecycleSettings {
    this.#settings = { ...this.#settings, ...definedOnly(patch) };
    return this.settings;
  }

  /** Starts a launched instance's clock; the caller has already set it `pending`. */
  trackLaunch(instanceId: string, atMs: number, neverHealthy: boolean): void {
    this.#timelines.set(instanceId, { launchedAt: atMs, runningAt: null, terminatingAt: null, neverHealthy });
    this.#inTransition.add(instanceId);
  }

  /** Starts the shutdown clock; the caller has already set it `shutting-down`. */
  trackTermination(instanceId: string, atMs: number): void {
    const timeline = this.#timelines.get(instanceId) ?? {
      launchedAt: null,
      runningAt: null,
      terminatingAt: null,
      neverHealthy: false,
    };
    timeline.terminatingAt = atMs;
    this.#timelines.set(instanceId, timeline);
    this.#inTransition.add(instanceId);
  }

  isNeverHealthy(instanceId: string): boolean {
    return this.#timelines.get(instanceId)?.neverHealthy ?? false;
  }

  /** Moves every instance in transition to the state its timestamps say it has reached by `nowMs`. */
  advance(nowMs: number, lookup: (instanceId: string) => SimInstance | undefined): void {
    const { pendingMs, terminateMs } = this.#settings;
    for (const id of [...this.#inTransition]) {
      const timeline = this.#timelines.get(id);
      const instance = lookup(id);
      if (!timeline || !instance) {
        this.#inTransition.delete(id);
        continue;
      }
      if (instance.state === 'pending' && timeline.launchedAt !== null) {
        if (nowMs >= timeline.launchedAt + pendingMs) {
          instance.state = 'running';
          timeline.runningAt = timeline.launchedAt + pendingMs;
        }
      } else if (instance.state === 'shutting-down' && timeline.terminatingAt !== null) {
        if (nowMs >= timeline.terminatingAt + terminateMs) instance.state = 'terminated';
      }
      // Anything else (running, terminated, or a state drift put it in) has nothing left to move.
      if (instance.state !== 'pending' && instance.state !== 'shutting-down') this.#inTransition.delete(id);
    }
  }

  /** The instance and system status checks as EC2 would report them at `nowMs`. */
  statusCheck(instance: SimInstance, nowMs: number): StatusCheck {
    if (instance.state !== 'running') return 'not-applicable';
    const timeline = this.#timelines.get(instance.instanceId);
    if (!timeline || timeline.launchedAt === null) return 'ok';
    const runningAt = timeline.runningAt ?? timeline.launchedAt + this.#settings.pendingMs;
    if (nowMs < runningAt + this.#settings.statusCheckMs) return 'initializing';
    return timeline.neverHealthy ? 'impaired' : 'ok';
  }

  /** When checks started failing, for `impairedSince`. */
  impairedSince(instanceId: string): number | null {
    const timeline = this.#timelines.get(instanceId);
    if (!timeline?.neverHealthy || timeline.runningAt === null) return null;
    return timeline.runningAt + this.#settings.statusCheckMs;
  }
}

function definedOnly(patch: Partial<LifecycleSettings>): Partial<LifecycleSettings> {
  const out: Partial<LifecycleSettings> = {};
  if (patch.pendingMs !== undefined) out.pendingMs = patch.pendingMs;
  if (patch.statusCheckMs !== undefined) out.statusCheckMs = patch.statusCheckMs;
  if (patch.terminateMs !== undefined) out.terminateMs = patch.terminateMs;
  return out;
}
