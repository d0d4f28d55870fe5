// Assignment of targets to shards: balance by instances, determinism, and what moves when the count changes.
import { describe, expect, it } from 'vitest';
import { assignShards, movedTargets, targetKey } from '../../src/core/shard-assignment.js';

const unit = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    key: `11112222${String(i).padStart(4, '0')}|us-east-1`,
    weight: 1,
  }));

describe('assignShards', () => {
  it('puts every target on shard 0 when unsharded', () => {
    const plan = assignShards(unit(5), 1);
    expect([...plan.shardOf.values()]).toEqual([0, 0, 0, 0, 0]);
    expect(plan.loads).toEqual([5]);
    expect(plan.targets).toEqual([5]);
  });

  it('balances by instances, not by targets: one heavy target has a shard to itself', () => {
    const targets = [{ key: '111122223333|us-east-1', weight: 100 }, ...unit(100)];
    const plan = assignShards(targets, 2);
    expect(plan.loads).toEqual([100, 100]);
    expect(plan.targets.slice().sort((a, b) => a - b)).toEqual([1, 100]);
  });

  it('going from 1 to 2 shards moves the one heavy target rather than the hundred light ones', () => {
    const targets = [{ key: '111122223333|us-east-1', weight: 100 }, ...unit(100)];
    expect(movedTargets(assignShards(targets, 1), assignShards(targets, 2))).toEqual([
      '111122223333|us-east-1',
    ]);
  });

  it('gives the same plan whatever the order of its input', () => {
    const targets = unit(40).map((t, i) => ({ ...t, weight: (i * 37) % 11 }));
    const a = assignShards(targets, 3);
    const b = assignShards([...targets].reverse(), 3);
    expect([...b.shardOf]).toEqual([...a.shardOf]);
    expect(b.loads).toEqual(a.loads);
  });

  it('counts an empty or new target as weighing 1, and a key given twice once', () => {
    const plan = assignShards(
      [
        { key: 'a|us-east-1', weight: 0 },
        { key: 'b|us-east-1', weight: 3 },
        { key: 'b|us-east-1', weight: 1 },
      ],
      1,
    );
    expect(plan.loads).toEqual([4]);
    expect(plan.shardOf.size).toBe(2);
  });

  it('leaves no shard empty while another holds two targets, even beside one heavy target', () => {
    const plan = assignShards(
      [
        { key: 'a|us-east-1', weight: 100 },
        { key: 'b|us-east-1', weight: 1 },
        { key: 'c|us-east-1', weight: 1 },
      ],
      3,
    );
    expect(plan.targets.slice().sort()).toEqual([1, 1, 1]);
  });

  it('leaves a shard empty when there are fewer targets than shards', () => {
    const plan = assignShards(unit(2), 3);
    expect(plan.targets.slice().sort()).toEqual([0, 1, 1]);
  });

  it('refuses a shard count out of range', () => {
    expect(() => assignShards(unit(1), 0)).toThrow('shard count must be an integer from 1 to 256, got 0');
    expect(() => assignShards(unit(1), 1.5)).toThrow(RangeError);
  });
});

describe('targetKey', () => {
  it('is account|region, with an empty account for the default credentials', () => {
    expect(targetKey({ account: '111122223333', region: 'eu-west-1' })).toBe('111122223333|eu-west-1');
    expect(targetKey({ account: null, region: 'eu-west-1' })).toBe('|eu-west-1');
  });
});
