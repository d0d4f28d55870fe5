// The few error kinds driftwarden raises; each says whether retrying can help.

export interface DriftwardenErrorOptions {
  cause?: unknown;
  /** Where the bad input is: a file, line, key or JSON path. */
  location?: string;
}

abstract class DriftwardenError extends Error {
  abstract readonly retryable: boolean;
  readonly location: string | undefined;
  constructor(message: string, options: DriftwardenErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.location = options.location;
  }
}

/** How many problems a ValidationError lists; the rest are counted, so 40,000 bad entries stay a short answer. */
export const MAX_LISTED_ISSUES = 100;

/** The first MAX_LISTED_ISSUES problems, then `… and N more problems` when there are more. */
export function listedIssues(issues: readonly string[]): string[] {
  return issues.length > MAX_LISTED_ISSUES
    ? [...issues.slice(0, MAX_LISTED_ISSUES), `… and ${issues.length - MAX_LISTED_ISSUES} more problems`]
    : [...issues];
}

/** Bad input from a user (config, rules, manifest, API body). Never retried. */
export class ValidationError extends DriftwardenError {
  readonly retryable = false;
  /** The first MAX_LISTED_ISSUES problems, then `… and N more problems` when there are more. */
  readonly issues: string[];
  /** Every problem, for a caller that gathers several errors into one (which lists and counts them again). */
  readonly allIssues: readonly string[];
  constructor(message: string, issues: string[] = [], options: DriftwardenErrorOptions = {}) {
    const listed = listedIssues(issues);
    super(listed.length ? `${message}\n  - ${listed.join('\n  - ')}` : message, options);
    this.issues = listed;
    this.allIssues = issues;
  }
}

/** A write that contradicts stored state (e.g. re-importing a manifest with a different body). */
export class ConflictError extends DriftwardenError {
  readonly retryable = false;
}

export class NotFoundError extends DriftwardenError {
  readonly retryable = false;
}

/** A failure that will not go away by retrying (access denied, database from a newer version). */
export class TerminalError extends DriftwardenError {
  readonly retryable = false;
}

/** A failure that may succeed later (throttling, timeouts, 5xx). */
export class RetryableError extends DriftwardenError {
  readonly retryable = true;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `Name: message` (`RequestLimitExceeded: …`): what an operator sees of a failed target, step or call. */
export function namedErrorMessage(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return `${typeof name === 'string' ? name : 'Error'}: ${errorMessage(error)}`;
}

export interface ScanPersistErrorOptions extends DriftwardenErrorOptions {
  scanId: string;
  /** The scan could still be recorded as `failure` (its row in `scans`). */
  recorded: boolean;
  /** SQLite's code when storage was the cause (`SQLITE_FULL`, `SQLITE_IOERR_*`), else null. */
  storageCode: string | null;
}

/**
 * A scan whose results could not be written (disk full, an I/O error): its one transaction rolled
 * back, so nothing of it is kept. The next scan may succeed.
 */
export class ScanPersistError extends RetryableError {
  readonly scanId: string;
  readonly recorded: boolean;
  readonly storageCode: string | null;
  constructor(message: string, options: ScanPersistErrorOptions) {
    super(message, options);
    this.scanId = options.scanId;
    this.recorded = options.recorded;
    this.storageCode = options.storageCode;
  }
}

/** What SQLite says when storage, not the data, failed a read or write. */
export interface StorageFailure {
  /** SQLite's extended code: `SQLITE_FULL`, `SQLITE_IOERR_WRITE`, … */
  code: string;
  /** The disk (or the file-size limit) is full, rather than an I/O error. */
  full: boolean;
}

/**
 * The storage failure behind an error (it or a cause), or null. Read from the error's `code`, as
 * better-sqlite3's SqliteError sets it, so no layer needs the driver to recognise one.
 */
export function storageFailure(error: unknown): StorageFailure | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    // A ScanPersistError from the scan thread arrives without its cause, only with the code.
    const code = e instanceof ScanPersistError ? e.storageCode : (e as { code?: unknown }).code;
    const failure = typeof code === 'string' ? storageFailureOf(code) : null;
    if (failure !== null) return failure;
  }
  return null;
}

function storageFailureOf(code: string): StorageFailure | null {
  if (code === 'SQLITE_FULL') return { code, full: true };
  if (code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR_')) return { code, full: false };
  return null;
}
