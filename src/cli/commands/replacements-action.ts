// `driftwarden replacements …` and `remediation …`, run: the commands' work on the database.
import type { Command } from 'commander';
import {
  approveJob,
  cancelJob,
  pauseRemediation,
  resumeRemediation,
} from '../../app/remediation/job-commands.js';
import { JOB_STATES, type JobState } from '../../app/remediation/ports.js';
import { withWaitReasons } from '../../app/remediation/reason-port.js';
import { compareStrings } from '../../core/compare-strings.js';
import type { ReasonCode } from '../../core/remediation-reasons.js';
import { CLI_ACTOR, CliExit, printJson } from '../cli-exit.js';
import { withStore } from '../context.js';
import { CURSOR_KEYS } from '../../http/cursor.js';
import type { PageOptions } from '../page-options.js';
import { moreNote, nextCursor, pageRequest } from '../paging.js';
import { renderTable } from '../render.js';

export function runReplacementsList(
  options: { state?: JobState; json?: boolean } & PageOptions,
  command: Command,
): void {
  const request = pageRequest(options, CURSOR_KEYS.job);
  const { page, total } = withStore(command, (store) => {
    const found = store.jobs.page(options.state ? { states: [options.state] } : {}, request);
    const counts = store.jobs.countByState();
    return {
      page: { ...found, items: withWaitReasons(store.reasons, found.items) },
      total: options.state ? counts[options.state] : JOB_STATES.reduce((n, s) => n + counts[s], 0),
    };
  });
  const items = page.items;
  if (options.json) return printJson({ items, total, next: nextCursor(page) });
  process.stderr.write(moreNote(page, total));
  process.stdout.write(
    renderTable(
      ['JOB', 'INSTANCE', 'STATE', 'STEP', 'STRATEGY', 'GROUP', 'RULES', 'CREATED', 'WAITING FOR'],
      items.map((j) => [
        j.jobId,
        j.instanceId,
        j.state,
        j.step ?? '-',
        j.strategy,
        j.group ?? '-',
        j.reason.map((r) => r.rule).join(','),
        j.createdAt,
        // A job not yet started says why it waits; a running one, what its step waits for.
        j.waitReason ? `${j.waitReason.code}: ${j.waitReason.text}` : (j.note ?? '-'),
      ]),
    ),
  );
}

export function runReplacementsApprove(jobId: string, _options: object, command: Command): void {
  const job = withStore(command, (store) => approveJob(store.jobs, jobId, CLI_ACTOR, new Date()));
  process.stdout.write(`approved ${job.jobId} (${job.instanceId}); state ${job.state}\n`);
}

export function runReplacementsCancel(jobId: string, options: { reason: string }, command: Command): void {
  const job = withStore(command, (store) =>
    cancelJob(store.jobs, jobId, CLI_ACTOR, options.reason, new Date()),
  );
  process.stdout.write(`cancelled ${job.jobId} (${job.instanceId})\n`);
}

export function runRemediationStatus(options: { json?: boolean }, command: Command): void {
  const state = withStore(command, (store, config) => ({
    mode: config.remediation.mode,
    ...store.remediation.get(),
    blocked: store.reasons.countByCode(),
  }));
  if (options.json) return printJson(state);
  process.stdout.write(
    `mode ${state.mode}; ${state.paused ? `paused (${state.reason}: ${state.detail ?? ''}) since ${state.pausedAt} by ${state.pausedBy}` : 'not paused'}\n` +
      `${renderWaiting(state.blocked)}\n`,
  );
}

/** "waiting: 3 (max-concurrent 2, protected 1)", codes in name order; "waiting: none" when nothing waits. */
function renderWaiting(blocked: Record<ReasonCode, number>): string {
  const waiting = Object.entries(blocked)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => compareStrings(a, b));
  if (waiting.length === 0) return 'waiting: none';
  const total = waiting.reduce((sum, [, n]) => sum + n, 0);
  return `waiting: ${total} (${waiting.map(([code, n]) => `${code} ${n}`).join(', ')})`;
}

export function runRemediationPause(options: { reason: string }, command: Command): void {
  const changed = withStore(command, (store) =>
    pauseRemediation(store.remediation, CLI_ACTOR, options.reason, new Date()),
  );
  process.stdout.write(changed ? 'remediation paused\n' : 'remediation was already paused\n');
}

export function runRemediationResume(_options: object, command: Command): void {
  const changed = withStore(command, (store) => resumeRemediation(store.remediation, CLI_ACTOR, new Date()));
  process.stdout.write(changed ? 'remediation resumed\n' : 'remediation was not paused\n');
  if (!changed) throw new CliExit(0);
}
