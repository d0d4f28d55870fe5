// One-line TTY progress for long commands (`bake`): counts, bytes, rate and ETA, redrawn at most 5 times a second.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

/** `7s`, `5m07s`, `1h02m`: fixed width per range, so a redrawn progress line does not jitter. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
}

export interface ProgressLine {
  update(line: (elapsedSeconds: number) => string, force?: boolean): void;
  done(): void;
}

/** Writes `\r…` lines to a TTY stream; a no-op when the stream is not a terminal. */
export function progressLine(
  stream: NodeJS.WriteStream,
  now: () => number = () => performance.now(),
): ProgressLine {
  const started = now();
  let last = -Infinity;
  let width = 0;
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  return {
    update(line, force = false) {
      const t = now();
      if (!force && t - last < 200) return;
      last = t;
      const text = line((t - started) / 1000);
      stream.write(`\r${text.padEnd(width)}`);
      width = text.length;
    },
    done() {
      if (width > 0) stream.write('\n');
    },
  };
}

/** `files 120/5000  12.0 MiB/560.0 MiB  95.2 MiB/s  ETA 6s` */
export function transferLine(
  label: string,
  done: { files: number; bytes: number },
  total: { files: number; bytes: number },
  elapsedSeconds: number,
): string {
  const rate = elapsedSeconds > 0 ? done.bytes / elapsedSeconds : 0;
  const eta = rate > 0 ? (total.bytes - done.bytes) / rate : Number.POSITIVE_INFINITY;
  return `${label} ${done.files}/${total.files} files  ${formatBytes(done.bytes)}/${formatBytes(total.bytes)}  ${formatBytes(rate)}/s  ETA ${formatSeconds(eta)}`;
}
