import { describe, expect, it } from 'vitest';
import { capSkipped } from '../../src/agent/agent.js';
import { MAX_SKIPPED } from '../../src/host/skips.js';

describe('skipped paths in a push', () => {
  it('are sent as they are up to the limit', () => {
    const few = [{ path: '/etc/a', reason: 'permission denied (EACCES)' }];
    expect(capSkipped(few)).toEqual(few);
  });

  it('end with "/" (covering everything) when there are more than the daemon accepts', () => {
    const many = Array.from({ length: MAX_SKIPPED + 5 }, (_, i) => ({
      path: `/etc/f${i}`,
      reason: 'EACCES',
    }));
    const capped = capSkipped(many);
    expect(capped).toHaveLength(MAX_SKIPPED);
    expect(capped.at(-1)).toEqual({ path: '/', reason: '6 more paths could not be read (list truncated)' });
  });
});
