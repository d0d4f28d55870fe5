// The scan schedule with real node-cron ticks: a tick during a scan runs one scan right after it, never two at once.
import { afterEach, describe, expect, it } from 'vitest';
import type { ScheduledTask } from 'node-cron';
import type { ScanReport } from '../../src/app/scan-cycle.js';
import { ScanRunner } from '../../src/app/scan-runner.js';
import { scheduleScans } from '../../src/scan-schedule.js';

let task: ScheduledTask | null = null;
let runner: ScanRunner | null = null;
afterEach(async () => {
  await task?.destroy();
  await runner?.stop();
});

/** Resolves once `predicate` holds, re-checked whenever `changed` is called. */
function waitFor(predicate: () => boolean): { promise: Promise<void>; changed: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  const changed = (): void => {
    if (predicate()) resolve();
  };
  return { promise, changed };
}

describe('scheduleScans', () => {
  it('turns ticks during a running scan into exactly one follow-up scan', { timeout: 20_000 }, async () => {
    // Each scan runs until the test finishes it (or the runner stops and aborts it).
    const finishers: (() => void)[] = [];
    let ticks = 0;
    const listeners = new Set<() => void>();
    const notify = (): void => listeners.forEach((listener) => listener());
    const until = async (predicate: () => boolean): Promise<void> => {
      const wait = waitFor(predicate);
      listeners.add(wait.changed);
      wait.changed();
      await wait.promise;
      listeners.delete(wait.changed);
    };
    const scans = new ScanRunner(
      (signal) =>
        new Promise<ScanReport>((_resolve, reject) => {
          const end = (): void => reject(new Error('scan ended by the test'));
          signal.addEventListener('abort', end);
          finishers.push(end);
          notify();
        }),
    );
    runner = scans;
    const counted: Pick<ScanRunner, 'trigger'> = {
      trigger: () => {
        ticks++;
        notify();
        return scans.trigger();
      },
    };
    task = scheduleScans('* * * * * *', counted, { error: () => undefined });

    // Three ticks while the first scan is still running: no second scan starts alongside it.
    await until(() => ticks >= 3);
    expect(finishers).toHaveLength(1);

    // The first scan ends: the ticks it missed become one scan, started right away.
    finishers[0]?.();
    await until(() => finishers.length >= 2);
    const ticksAtFollowUp = ticks;

    // Two more ticks during the follow-up: still two scans, the next one queued behind it.
    await until(() => ticks >= ticksAtFollowUp + 2);
    expect(finishers).toHaveLength(2);
  });
});
