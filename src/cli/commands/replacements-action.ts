// `driftwarden replacements …` and `remediation …`, run: the commands' work on the database.
import type { Command } from 'commander';
import {
  approveJob,
  cancelJob,
  pauseRemediation,
  resumeRemediation,
} from '../../app/remediation/job-commands.js';
import type { JobState } from '../../app/remediation/ports.js';
import { CLI_ACTOR, CliExit, printJson } from '../cli-exit.js';
import { withStore } from '../context.js';
import { renderTable } from '../render.js';

export function runReplacementsList(options: { state?: JobState; json?: boolean }, command: Command): void {
  const items = withStore(command, (store) =>
    store.jobs.list({ states: options.state ? [options.state] : undefined }),
  );
  if (options.json) return printJson({ items });
  process.stdout.write(
    renderTable(
      ['JOB', 'INSTANCE', 'STATE', 'STEP', 'STRATEGY', 'GROUP', 'RULES', 'CREATED'],
      items.map((j) => [
        j.jobId,
        j.instanceId,
        j.state,
        j.step ?? '-',
        j.strategy,
        j.group ?? '-',
        j.reason.map((r) => r.rule).join(','),
        j.createdAt,
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
  }));
  if (options.json) return printJson(state);
  process.stdout.write(
    `mode ${state.mode}; ${state.paused ? `paused (${state.reason}: ${state.detail ?? ''}) since ${state.pausedAt} by ${state.pausedBy}` : 'not paused'}\n`,
  );
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
