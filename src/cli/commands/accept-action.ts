// `driftwarden accept`, run: list, revoke or store acceptances, warning about what no scan has seen.
import type { Command } from 'commander';
import type { Acceptance } from '../../app/ports.js';
import type { Config } from '../../config/index.js';
import { acceptanceState } from '../../core/acceptance.js';
import { errorMessage } from '../../domain/errors.js';
import { UNCLASSIFIED_RULE } from '../../domain/types.js';
import { loadRules } from '../../rules/index.js';
import type { Store } from '../../store/index.js';
import { CURSOR_KEYS } from '../../http/cursor.js';
import { CLI_ACTOR, printJson } from '../cli-exit.js';
import { withStore } from '../context.js';
import type { PageOptions } from '../page-options.js';
import { moreNote, nextCursor, pageRequest } from '../paging.js';
import { renderTable } from '../render.js';

export interface AcceptOptions extends PageOptions {
  rule?: string;
  until?: string;
  reason?: string;
  list?: boolean;
  all?: boolean;
  revoke?: number;
  json?: boolean;
}

/** "instance i-…, every rule" / "rule r, every instance" / "rule r on instance i-…". */
export function describeScope(a: Pick<Acceptance, 'instanceId' | 'rule'>): string {
  if (a.rule === null) return `instance ${a.instanceId ?? '?'}, every rule`;
  if (a.instanceId === null) return `rule ${a.rule}, every instance`;
  return `rule ${a.rule} on instance ${a.instanceId}`;
}

function warn(message: string): void {
  process.stderr.write(`driftwarden: warning: ${message}\n`);
}

/** An acceptance for what driftwarden does not know is kept (the instance may not be scanned yet), but said. */
function warnIfUnknown(store: Store, config: Config, instanceId: string | null, rule: string | null): void {
  if (instanceId !== null) {
    const instance = store.fleet.getInstance(instanceId);
    if (instance === null) warn(`no scan has seen instance ${instanceId}; storing the acceptance anyway`);
    else if (!instance.present)
      warn(`instance ${instanceId} has left the fleet; storing the acceptance anyway`);
  }
  if (rule === null) return;
  let known: string[];
  try {
    known = [...loadRules(config.rules.dir).rules.map((r) => r.id), UNCLASSIFIED_RULE];
  } catch (error) {
    warn(`cannot check --rule against the rules in ${config.rules.dir}: ${errorMessage(error)}`);
    return;
  }
  if (!known.includes(rule)) {
    warn(
      `no rule ${rule} in ${config.rules.dir} (known: ${[...new Set(known)].sort().join(', ')}); storing the acceptance anyway`,
    );
  }
}

function conflicting(
  options: AcceptOptions,
  instanceId: string | undefined,
  command: Command,
  allowed: string[],
): string[] {
  const given: Record<string, boolean> = {
    instanceId: instanceId !== undefined,
    '--rule': options.rule !== undefined,
    '--until': options.until !== undefined,
    '--reason': options.reason !== undefined,
    '--list': options.list === true,
    '--all': options.all === true,
    '--revoke': options.revoke !== undefined,
    // --limit has a default: only a value typed on the command line counts as given.
    '--limit': command.getOptionValueSource('limit') === 'cli',
    '--cursor': options.cursor !== undefined,
  };
  return Object.entries(given)
    .filter(([name, set]) => set && !allowed.includes(name))
    .map(([name]) => name);
}

function renderAcceptances(items: readonly Acceptance[], withState: boolean): string {
  const at = new Date().toISOString();
  const headers = ['ID', 'INSTANCE', 'RULE', 'UNTIL', ...(withState ? ['STATE'] : []), 'BY', 'REASON'];
  return renderTable(
    headers,
    items.map((a) => [
      String(a.id),
      a.instanceId ?? '*',
      a.rule ?? '*',
      a.until,
      ...(withState ? [acceptanceState(a, at)] : []),
      a.createdBy,
      a.reason,
    ]),
  );
}

export function runAccept(instanceId: string | undefined, options: AcceptOptions, command: Command): void {
  function fail(message: string): never {
    return command.error(`error: ${message}`, { exitCode: 1 });
  }
  if (options.list || options.all) {
    if (!options.list) fail('--all only goes with --list');
    const extra = conflicting(options, instanceId, command, ['--list', '--all', '--limit', '--cursor']);
    if (extra.length) fail(`--list cannot be combined with ${extra.join(', ')}`);
    const request = pageRequest(options, CURSOR_KEYS.id);
    // One time for the page and its count, so both judge "active" alike.
    const query = { includeInactive: options.all === true, at: new Date().toISOString() };
    const { page, total } = withStore(command, (store) => ({
      page: store.acceptances.page(query, request),
      total: store.acceptances.count(query),
    }));
    if (options.json) return printJson({ items: page.items, total, next: nextCursor(page) });
    if (page.items.length === 0) {
      process.stdout.write(options.all ? 'no acceptances\n' : 'no active acceptances\n');
      return;
    }
    process.stdout.write(renderAcceptances(page.items, options.all === true));
    process.stderr.write(moreNote(page, total));
    return;
  }

  if (options.revoke !== undefined) {
    const id = options.revoke;
    const extra = conflicting(options, instanceId, command, ['--revoke']);
    if (extra.length) fail(`--revoke cannot be combined with ${extra.join(', ')}`);
    const { before, after } = withStore(command, (store) => ({
      before: store.acceptances.get(id),
      after: store.acceptances.revoke(id, CLI_ACTOR, new Date().toISOString()),
    }));
    if (options.json) return printJson(after);
    if (before?.revokedAt) {
      process.stdout.write(
        `acceptance ${id} (${describeScope(after)}) was already revoked at ${after.revokedAt} by ${after.revokedBy}\n`,
      );
      return;
    }
    process.stdout.write(
      `revoked acceptance ${id} (${describeScope(after)}); its findings count as drift again from the next scan\n`,
    );
    return;
  }

  const paging = conflicting(options, instanceId, command, ['instanceId', '--rule', '--until', '--reason']);
  if (paging.length) fail(`${paging.join(' and ')} only ${paging.length === 1 ? 'goes' : 'go'} with --list`);
  if (instanceId === undefined && options.rule === undefined) {
    fail('name what to accept: an instance id, --rule <id>, or both (or use --list / --revoke <id>)');
  }
  if (options.until === undefined) fail("required option '--until <when>' not specified");
  if (options.reason === undefined) fail("required option '--reason <text>' not specified");
  const reason = options.reason.trim();
  if (reason === '') fail('--reason must say why the drift is accepted (it is empty)');
  const input = {
    instanceId: instanceId ?? null,
    rule: options.rule ?? null,
    until: options.until,
    reason,
    createdBy: CLI_ACTOR,
  };
  const stored = withStore(command, (store, config) => {
    warnIfUnknown(store, config, input.instanceId, input.rule);
    return store.acceptances.add(input, new Date().toISOString());
  });
  if (options.json) return printJson(stored);
  process.stdout.write(
    `accepted (id ${stored.id}): ${describeScope(stored)}, until ${stored.until}\n` +
      'takes effect at the next scan\n',
  );
}
