import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatSeconds, progressLine, transferLine } from '../../src/cli/progress.js';

describe('bake progress', () => {
  it('shows files, bytes, rate and ETA', () => {
    const line = transferLine(
      'bake:',
      { files: 120, bytes: 100 << 20 },
      { files: 5000, bytes: 600 << 20 },
      2,
    );
    expect(line).toBe('bake: 120/5000 files  100.0 MiB/600.0 MiB  50.0 MiB/s  ETA 10s');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatSeconds(3725)).toBe('1h02m');
    expect(formatSeconds(Number.POSITIVE_INFINITY)).toBe('?');
  });

  it('redraws one line on a terminal at most five times a second, and writes nothing elsewhere', () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.WriteStream;
    let written = '';
    (tty as unknown as PassThrough).on('data', (chunk: Buffer) => (written += chunk.toString()));
    let now = 0;
    const p = progressLine(tty, () => now);
    p.update(() => 'first line');
    now = 50;
    p.update(() => 'too soon');
    now = 300;
    p.update(() => 'second');
    p.done();
    expect(written).toBe('\rfirst line\rsecond    \n');

    const pipe = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    let piped = '';
    (pipe as unknown as PassThrough).on('data', (chunk: Buffer) => (piped += chunk.toString()));
    const q = progressLine(pipe);
    q.update(() => 'x', true);
    q.done();
    expect(piped).toBe('');
  });
});
