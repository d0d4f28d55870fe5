// Injected fleet failures: the next N launches fail, and launches matching a rule never pass status checks.
import type { FailureSpec } from './control-schemas.js';

export interface NeverHealthyRule {
  /** Only instances launched into this Auto Scaling group (any launch when absent). */
  group?: string | undefined;
  /** Only instances launched from this image (any image when absent). */
  imageId?: string | undefined;
}

export interface FailureState {
  /** Launches (RunInstances or an Auto Scaling group's) still set to fail. */
  launchFails: number;
  neverHealthy: NeverHealthyRule[];
}

export class LaunchFailures {
  #launchFails = 0;
  #neverHealthy: NeverHealthyRule[] = [];

  add(spec: FailureSpec): FailureState {
    if (spec.kind === 'launchFails') this.#launchFails += spec.count;
    else this.#neverHealthy.push({ group: spec.group, imageId: spec.imageId });
    return this.state();
  }

  clear(): void {
    this.#launchFails = 0;
    this.#neverHealthy = [];
  }

  state(): FailureState {
    return { launchFails: this.#launchFails, neverHealthy: this.#neverHealthy.map((rule) => ({ ...rule })) };
  }

  /** True (and one failure spent) when this launch attempt must fail. */
  consumeLaunchFailure(): boolean {
    if (this.#launchFails === 0) return false;
    this.#launchFails -= 1;
    return true;
  }

  isNeverHealthy(launch: { group: string | null; imageId: string }): boolean {
    return this.#neverHealthy.some(
      (rule) =>
        (rule.group === undefined || rule.group === launch.group) &&
        (rule.imageId === undefined || rule.imageId === launch.imageId),
    );
  }
}
