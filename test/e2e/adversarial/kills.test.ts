// Adversarial: 30 kill -9 of an enforcing daemon at random points of a replacement wave leave an intact
// database, no instance terminated twice and no orphan.
import { afterAll, expect, it } from 'vitest';
import { doubleTerminations, orphans, runKillStorm, type KillStorm } from '../../support/kill-storm.js';
import { SUMMARY } from '../../support/summary-reporter.js';
import { adversarialSeed } from './seed.js';

const KILLS = 30;
let storm: KillStorm | null = null;

afterAll(async () => {
  await storm?.close();
});

it(`survives ${KILLS} SIGKILLs during replacement with integrity, no double termination and no orphan`, async ({
  annotate,
}) => {
  const seed = adversarialSeed();
  storm = await runKillStorm(KILLS, seed);
  const doubles = doubleTerminations(storm.sim);
  const orphaned = orphans(storm.sim, storm.jobs);
  const targets = [...storm.drifted.standalone, ...storm.drifted.members];
  await annotate(
    `adversarial kills: ${KILLS} kills (${storm.killedMidJob} mid-job, seed ${seed}), integrity ${String(storm.integrity)}, ` +
      `${doubles.length} double terminations, ${orphaned.length} orphans`,
    SUMMARY,
  );
  expect(storm.integrity).toBe('ok');
  expect(doubles).toEqual([]);
  expect(orphaned).toEqual([]);
  // Every drifted instance was replaced exactly once, and the kills landed inside replacements.
  expect(storm.jobs.map((j) => j.instanceId).sort()).toEqual([...targets].sort());
  expect(storm.jobs.every((j) => j.state === 'succeeded')).toBe(true);
  expect(storm.killedMidJob).toBeGreaterThanOrEqual(10);
}, 300_000);
