// Test helper: a real EC2 SDK client pointed at a running simulator.
import { EC2Client } from '@aws-sdk/client-ec2';
import type { Simulator } from '../../src/simulator/index.js';

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
