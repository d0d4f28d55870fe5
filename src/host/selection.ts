// Which files `bake` and `agent` fingerprint: AIDE-like selection lines (include globs, `!` excludes) over absolute paths.
import { compileSegmentGlob, type PathMatcher } from '../core/path-glob.js';
import { ValidationError } from '../domain/errors.js';

/**
 * The selection used when none is given. Per-instance files that every boot rewrites (machine id,
 * host keys, resolver, hostname) are left out, or every instance would drift from its image.
 * Service enablement links are left out because `host.services` reports them already.
 */
export const DEFAULT_SELECTION = `# driftwarden default file selection
/etc/**
/usr/local/bin/**
/usr/local/sbin/**
/usr/lib/systemd/system/**
/lib/systemd/system/**
!/etc/machine-id
!/etc/hostname
!/etc/hosts
!/etc/resolv.conf
!/etc/mtab
!/etc/adjtime
!/etc/ld.so.cache
!/etc/.pwd.lock
!/etc/*-
!/etc/ssh/ssh_host_*
!/etc/udev/hwdb.bin
!/etc/cloud/instance
!/etc/systemd/system/*.wants/**
!/etc/systemd/system/*.requires/**
`;

/** Never fingerprinted, whatever the selection says: virtual, volatile or log data. */
export const NEVER_SELECTED = [
  '/proc/**',
  '/sys/**',
  '/dev/**',
  '/run/**',
  '/tmp/**',
  '/var/tmp/**',
  '/var/log/**',
  '/**/*.log',
];

interface Rule {
  segments: string[];
  /** Literal leading segments, up to the first one with a wildcard (all of them for an exact path). */
  prefix: string[];
  exact: boolean;
  match: PathMatcher;
}

export interface Selection {
  /** Whether a file at these absolute path segments is fingerprinted. */
  selects(segments: readonly string[]): boolean;
  /** Whether anything below this directory can be selected (prunes the walk). */
  descends(segments: readonly string[]): boolean;
  /** The normalised lines, for logs and `--help`. */
  readonly lines: readonly string[];
}

function compileRule(pattern: string): Rule {
  const segments = pattern.split('/').slice(1);
  const wild = segments.findIndex((s) => s.includes('*'));
  return {
    segments,
    prefix: wild === -1 ? segments : segments.slice(0, wild),
    exact: wild === -1,
    match: compileSegmentGlob(segments),
  };
}

function startsWith(long: readonly string[], short: readonly string[]): boolean {
  return short.length <= long.length && short.every((s, i) => long[i] === s);
}

/**
 * Parses selection text. Lines: `# comment`, `PATTERN` or `+PATTERN` (include), `!PATTERN`
 * (exclude, wins over includes), `@defaults` (the default lines). Patterns are absolute paths where
 * `*` matches within one path segment and `**` any number of segments.
 */
export function parseSelection(text: string, origin = 'selection'): Selection {
  const includes: Rule[] = [];
  const excludes: Rule[] = NEVER_SELECTED.map(compileRule);
  const lines: string[] = [];
  const issues: string[] = [];
  const addLines = (source: string, name: string, allowDefaults: boolean): void => {
    source.split(/\r?\n/).forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const where = `${name}:${index + 1}`;
      if (line === '@defaults') {
        if (allowDefaults) addLines(DEFAULT_SELECTION, 'defaults', false);
        return;
      }
      const exclude = line.startsWith('!');
      const pattern = exclude || line.startsWith('+') ? line.slice(1).trim() : line;
      if (!pattern.startsWith('/')) {
        issues.push(
          `${where}: "${line}": a pattern must be an absolute path such as /etc/** (or !/etc/x to exclude)`,
        );
        return;
      }
      if (
        pattern
          .split('/')
          .slice(1)
          .some((s) => s === '' || s === '.' || s === '..')
      ) {
        issues.push(`${where}: "${line}": empty, "." or ".." segments are not allowed`);
        return;
      }
      lines.push(exclude ? `!${pattern}` : pattern);
      (exclude ? excludes : includes).push(compileRule(pattern));
    });
  };
  addLines(text, origin, true);
  if (issues.length > 0) throw new ValidationError(`invalid file selection ${origin}`, issues);
  if (includes.length === 0) {
    throw new ValidationError(`invalid file selection ${origin}`, [
      `${origin}: no include pattern; add one (e.g. /etc/**) or the line @defaults`,
    ]);
  }
  return {
    lines,
    selects: (segments) =>
      includes.some((r) => r.match(segments)) && !excludes.some((r) => r.match(segments)),
    descends(segments) {
      // A directory whose every descendant an exclude ending in `**` covers is pruned.
      if (excludes.some((r) => r.segments.at(-1) === '**' && r.match([...segments, '\u0000']))) return false;
      return includes.some((r) =>
        r.exact
          ? startsWith(r.segments, segments) && r.segments.length > segments.length
          : startsWith(r.prefix, segments) || startsWith(segments, r.prefix),
      );
    },
  };
}

export const defaultSelection = (): Selection => parseSelection('@defaults', 'defaults');
