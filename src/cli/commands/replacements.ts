// `driftwarden replacements list|approve|cancel` and `remediation pause|resume|status`, on the database.
import { Option, type Command } from 'commander';
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
import { CLI_ACTOR, CliExit, printJson, withStore } from '../context.js';
import { renderTable } from '../render.js';

export function registerReplacementCommands(program: Command): void {
  const replacements = program.command('replacements').description('the replacement job queue and history');

  replacements
    .command('list')
    .description('list replacement jobs, newest first')
    .addOption(new Option('--state <state>', 'only jobs in this state').choices(JOB_STATES))
    .option('--json', 'print as JSON')
    .action((options: { state?: JobState; json?: boolean }, command: Command) => {
      const items = withStore(command, (store) =>
        withWaitReasons(
          store.reasons,
          store.jobs.list({ states: options.state ? [options.state] : undefined }),
        ),
      );
      if (options.json) return printJson({ items });
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
    });

  replacements
    .command('approve')
    .description('approve a job awaiting approval (it starts when budgets allow)')
    .argument('<jobId>')
    .action((jobId: string, _options: object, command: Command) => {
      const job = withStore(command, (store) => approveJob(store.jobs, jobId, CLI_ACTOR, new Date()));
      process.stdout.write(`approved ${job.jobId} (${job.instanceId}); state ${job.state}\n`);
    });

  replacements
    .command('cancel')
    .description('cancel a job that has not started replacing yet')
    .argument('<jobId>')
    .option('--reason <text>', 'why (recorded in the audit log)', 'cancelled from the CLI')
    .action((jobId: string, options: { reason: string }, command: Command) => {
      const job = withStore(command, (store) =>
        cancelJob(store.jobs, jobId, CLI_ACTOR, options.reason, new Date()),
      );
      process.stdout.write(`cancelled ${job.jobId} (${job.instanceId})\n`);
    });

  const remediation = program
    .command('remediation')
    .description('pause or resume replacing drifted instances');
  remediation
    .command('status')
    .description('mode, pause state and reason, and how many candidates and jobs wait, by reason')
    .option('--json', 'print as JSON')
    .action((options: { json?: boolean }, command: Command) => {
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
    });
  remediation
    .command('pause')
    .description('stop starting replacements (running ones finish)')
    .requiredOption('--reason <text>', 'why (recorded)')
    .action((options: { reason: string }, command: Command) => {
      const changed = withStore(command, (store) =>
        pauseRemediation(store.remediation, CLI_ACTOR, options.reason, new Date()),
      );
      process.stdout.write(changed ? 'remediation paused\n' : 'remediation was already paused\n');
    });
  remediation
    .command('resume')
    .description('resume starting replacements (also after a drift storm)')
    .action((_options: object, command: Command) => {
      const changed = withStore(command, (store) =>
        resumeRemediation(store.remediation, CLI_ACTOR, new Date()),
      );
      process.stdout.write(changed ? 'remediation resumed\n' : 'remediation was not paused\n');
      if (!changed) throw new CliExit(0);
    });
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
