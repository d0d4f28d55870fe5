import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPath, parsePath } from '../../src/core/paths.js';

const segment = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', '_', '-', '.', '"', '[', ']', '\\', '*', ' ', '/') }),
);

describe('paths (properties)', () => {
  it('parsePath inverts formatPath for any non-empty segment list', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), (segments) => {
        expect(parsePath(formatPath(segments))).toEqual(segments);
      }),
      { numRuns: 2000 },
    );
  });

  it('formatPath is injective: different segment lists give different paths', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1 }), fc.array(segment, { minLength: 1 }), (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(formatPath(a)).not.toBe(formatPath(b));
      }),
    );
  });
});
