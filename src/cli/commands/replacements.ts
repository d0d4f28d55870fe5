// `driftwarden replacements list|approve|cancel` and `remediation pause|resume|status`, on the database (registration; the implementation loads on use).
import { Option, type Command } from 'commander';
import { JOB_STATES, type JobState } from '../../app/remediation/ports.js';
import { addPageOptions, type PageOptions } from '../page-options.js';

export function registerReplacementCommands(program: Command): void {
  const replacements = program.command('replacements').description('the replacement job queue and history');

  addPageOptions(
    replacements
      .command('list')
      .description('list replacement jobs, newest first, one page at a time')
      .addOption(new Option('--state <state>', 'only jobs in this state').choices(JOB_STATES))
      .option('--json', "print as JSON (with the total and the next page's cursor)"),
  ).action(async (options: { state?: JobState; json?: boolean } & PageOptions, command: Command) => {
    const { runReplacementsList } = await import('./replacements-action.js');
    runReplacementsList(options, command);
  });

  replacements
    .command('approve')
    .description('approve a job awaiting approval (it starts when budgets allow)')
    .argument('<jobId>')
    .action(async (jobId: string, _options: object, command: Command) => {
      const { runReplacementsApprove } = await import('./replacements-action.js');
      runReplacementsApprove(jobId, _options, command);
    });

  replacements
    .command('cancel')
    .description('cancel a job that has not started replacing yet')
    .argument('<jobId>')
    .option('--reason <text>', 'why (recorded in the audit log)', 'cancelled from the CLI')
    .action(async (jobId: string, options: { reason: string }, command: Command) => {
      const { runReplacementsCancel } = await import('./replacements-action.js');
      runReplacementsCancel(jobId, options, command);
    });

  const remediation = program
    .command('remediation')
    .description('pause or resume replacing drifted instances');
  remediation
    .command('status')
    .description('mode, pause state and reason, and how many candidates and jobs wait, by reason')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { runRemediationStatus } = await import('./replacements-action.js');
      runRemediationStatus(options, command);
    });
  remediation
    .command('pause')
    .description('stop starting replacements (running ones finish)')
    .requiredOption('--reason <text>', 'why (recorded)')
    .action(async (options: { reason: string }, command: Command) => {
      const { runRemediationPause } = await import('./replacements-action.js');
      runRemediationPause(options, command);
    });
  remediation
    .command('resume')
    .description('resume starting replacements (also after a drift storm)')
    .action(async (_options: object, command: Command) => {
      const { runRemediationResume } = await import('./replacements-action.js');
      runRemediationResume(_options, command);
    });
}
