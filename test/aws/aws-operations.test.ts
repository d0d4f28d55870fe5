// AWS_OPERATIONS, the request counter's pre-initialised series, lists exactly the AWS calls the source sends.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AWS_OPERATIONS, AWS_SERVICES } from '../../src/aws/aws-operations.js';
import { findSdkCalls } from '../support/sdk-calls.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('AWS_OPERATIONS', () => {
  it('is every service:operation the code calls, no more', () => {
    // The IAM prefix of a call is the service label its client counts it under (aws-clients.ts).
    const called = [...new Set(findSdkCalls(ROOT, 'src').map((c) => c.action))].sort();
    const listed = AWS_SERVICES.flatMap((service) =>
      AWS_OPERATIONS[service].map((op) => `${service}:${op}`),
    ).sort();
    expect(listed).toEqual(called);
  });
});
