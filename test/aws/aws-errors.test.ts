// Which AWS and network failures a later attempt may fix: SDK hints, throttling, 5xx and network errors (also from fetch).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isRetryableAwsError as isRetryable } from '../../src/aws/aws-errors.js';
import { ValidationError } from '../../src/domain/errors.js';

describe('isRetryableAwsError', () => {
  it('retries throttling, server faults and capacity shortages', () => {
    expect(isRetryable({ name: 'RequestLimitExceeded' })).toBe(true);
    expect(isRetryable({ name: 'InternalError', $fault: 'server' })).toBe(true);
    expect(isRetryable({ name: 'Whatever', $retryable: { throttling: false } })).toBe(true);
    expect(isRetryable({ name: 'InsufficientInstanceCapacity' })).toBe(true);
    expect(isRetryable({ name: 'SlowDown', $metadata: {} })).toBe(true);
    expect(isRetryable({ name: 'Anything', $metadata: { httpStatusCode: 429 } })).toBe(true);
    expect(isRetryable({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } })).toBe(true);
  });

  it('retries network failures, including fetch()’s TypeError that keeps the code in its cause', async () => {
    // A port that was just free: nothing listens there now.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const refused = await fetch(`http://127.0.0.1:${port}/`).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TypeError);
    expect(isRetryable(refused)).toBe(true);
    expect(isRetryable(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
  });

  it('does not retry what will fail the same way again', () => {
    expect(isRetryable({ name: 'UnauthorizedOperation', $fault: 'client' })).toBe(false);
    expect(isRetryable(new ValidationError('bad'))).toBe(false);
    expect(isRetryable(new Error('Auto Scaling group web not found'))).toBe(false);
  });
});
