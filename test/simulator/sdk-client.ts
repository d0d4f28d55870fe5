// Test helpers: real EC2, Auto Scaling and Config SDK clients pointed at a running simulator, and a manual clock.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { EC2Client } from '@aws-sdk/client-ec2';
import type { Simulator } from '@driftwarden/simulator';

export function ec2Client(
  sim: Simulator,
  region = 'us-east-1',
  options: { maxAttempts?: number } = {},
): EC2Client {
  return new EC2Client({
    region,
    endpoint: sim.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: options.maxAttempts ?? 3,
  });
}

export function asgClient(
  sim: Simulator,
  region = 'us-east-1',
  options: { maxAttempts?: number } = {},
): AutoScalingClient {
  return new AutoScalingClient({
    region,
    endpoint: sim.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: options.maxAttempts ?? 1,
  });
}

export function configClient(
  sim: Simulator,
  region = 'us-east-1',
  options: { maxAttempts?: number } = {},
): ConfigServiceClient {
  return new ConfigServiceClient({
    region,
    endpoint: sim.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: options.maxAttempts ?? 1,
  });
}

/** A clock the test moves by hand, for the simulator's `now` option. */
export class ManualClock {
  #ms: number;

  constructor(start = '2026-11-26T12:00:00Z') {
    this.#ms = Date.parse(start);
  }

  readonly now = (): Date => new Date(this.#ms);

  advance(ms: number): void {
    this.#ms += ms;
  }
}

/** Awaits a promise that must reject and returns the error for assertions. */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected the call to fail, but it succeeded');
}
