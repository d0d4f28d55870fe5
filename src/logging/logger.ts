// pino logger factory: JSON lines by default, pretty on a TTY, secrets redacted.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: LevelWithSilent;
  /** 1 = stdout (daemon), 2 = stderr (one-shot CLI commands whose stdout is machine output). */
  destination: 1 | 2;
  pretty?: boolean;
}

export const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'secretAccessKey',
  '*.secretAccessKey',
  'sessionToken',
  '*.sessionToken',
];

export function createLogger(options: LoggerOptions): Logger {
  const level = (process.env.DRIFTWARDEN_LOG_LEVEL as LevelWithSilent | undefined) ?? options.level;
  const pretty =
    options.pretty ?? Boolean(options.destination === 1 ? process.stdout.isTTY : process.stderr.isTTY);
  const redact = { paths: REDACT_PATHS, censor: '[redacted]' };
  if (pretty) {
    return pino({
      level,
      redact,
      transport: {
        target: 'pino-pretty',
        options: { destination: options.destination, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' },
      },
    });
  }
  return pino(
    { level, redact, base: { service: 'driftwarden' } },
    pino.destination({ fd: options.destination, sync: true }),
  );
}
