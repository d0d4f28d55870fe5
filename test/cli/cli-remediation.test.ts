// `driftwarden remediation pause|resume|status` and `replacements list|approve|cancel` on a real database file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { REPO, runCli } from './run-cli.js';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-cli-rem-'));
  env = {
    ...process.env,
    DRIFTWARDEN_CONFIG: '',
    DRIFTWARDEN_DATABASE_PATH: join(dir, 'dw.db'),
    USER: 'oncall',
  };
  // One job waiting for approval and one running, as the daemon would have left them.
  const store = openStore(join(dir, 'dw.db'), { now: () => new Date() });
  const base = {
    account: null,
    region: 'us-east-1',
    group: 'web',
    asgName: null,
    imageId: 'ami-00000001',
    targetImageId: 'ami-00000001',
    strategy: 'launch-then-terminate' as const,
    reason: [
      {
        rule: 'instance-type',
        severity: 'warning' as const,
        path: 'launch.instanceType',
        change: 'changed' as const,
      },
    ],
  };
  const at = new Date().toISOString();
  store.jobs.create(
    { ...base, jobId: 'job-approve', instanceId: 'i-00000001', state: 'awaiting-approval', step: null },
    at,
    {
      actor: 'driftwarden',
      action: 'job.awaiting-approval',
    },
  );
  store.jobs.create(
    { ...base, jobId: 'job-running', instanceId: 'i-00000002', state: 'running', step: 'wait-healthy' },
    at,
    {
      actor: 'driftwarden',
      action: 'job.started',
    },
  );
  // What the daemon would have recorded: why the approval job waits, what the running one waits for,
  // and a candidate instance held back by its protect tag.
  store.reasons.setJobReasons(
    [
      {
        id: 'job-approve',
        instanceId: 'i-00000001',
        code: 'awaiting-approval',
        text: 'awaiting approval: rule instance-type requires an admin to approve',
      },
    ],
    at,
  );
  store.jobs.save('job-running', { note: 'status checks of i-0000000a: initializing' }, at);
  store.reasons.replaceInstanceReasons(
    [
      {
        id: 'i-00000003',
        instanceId: 'i-00000003',
        code: 'protected',
        text: 'protected by tag driftwarden:protect',
      },
    ],
    at,
  );
  store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(args, { env, cwd: REPO });

describe('remediation', () => {
  it('pauses with a reason, shows it with how many wait and why, and resumes', async () => {
    const paused = await cli('remediation', 'pause', '--reason', 'change freeze');
    expect(paused).toMatchObject({ code: 0, stdout: 'remediation paused\n' });
    const status = await cli('remediation', 'status', '--json');
    const shown = JSON.parse(status.stdout) as { pausedAt: string };
    expect(shown).toMatchObject({
      mode: 'dry-run',
      paused: true,
      reason: 'manual',
      detail: 'change freeze',
      pausedBy: 'cli:oncall',
      blocked: { 'awaiting-approval': 1, protected: 1, 'max-concurrent': 0 },
    });
    expect((await cli('remediation', 'status')).stdout).toBe(
      'mode dry-run; paused (manual: change freeze) since ' +
        `${shown.pausedAt} by cli:oncall\nwaiting: 2 (awaiting-approval 1, protected 1)\n`,
    );
    expect((await cli('remediation', 'resume')).stdout).toBe('remediation resumed\n');
    expect((await cli('remediation', 'resume')).stdout).toBe('remediation was not paused\n');
  });

  it('requires a reason to pause', async () => {
    const result = await cli('remediation', 'pause');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("required option '--reason <text>'");
  });
});

describe('replacements', () => {
  it('lists jobs with what each waits for, approves one awaiting approval, and refuses to cancel a running one', async () => {
    const listed = JSON.parse((await cli('replacements', 'list', '--json')).stdout) as {
      items: {
        jobId: string;
        state: string;
        waitReason: { code: string; text: string } | null;
        note: string | null;
      }[];
    };
    expect(listed.items.map((j) => [j.jobId, j.state, j.waitReason?.code ?? null, j.note]).sort()).toEqual([
      ['job-approve', 'awaiting-approval', 'awaiting-approval', null],
      ['job-running', 'running', null, 'status checks of i-0000000a: initializing'],
    ]);
    const table = await cli('replacements', 'list', '--state', 'running');
    expect(table.stdout).toMatch(
      /job-running\s+i-00000002\s+running\s+wait-healthy\s.*\sstatus checks of i-0000000a: initializing\n/,
    );
    // One job a page: the table says there is more and how to get it; the cursor continues the list.
    const first = await cli('replacements', 'list', '--limit', '1');
    const cursor = /showing 1 of 2; next page: --cursor (\S+) /.exec(first.stderr)?.[1];
    expect(cursor).toBeDefined();
    const second = JSON.parse(
      (await cli('replacements', 'list', '--limit', '1', '--cursor', cursor ?? '', '--json')).stdout,
    ) as { items: { jobId: string }[]; total: number; next: string | null };
    expect(second).toMatchObject({ total: 2, next: null });
    expect(first.stdout).not.toContain(second.items[0]?.jobId);
    const tampered = await cli('replacements', 'list', '--cursor', 'bm9wZQ');
    expect(tampered.code).not.toBe(0);
    expect(tampered.stderr).toContain('cursor: not a cursor this daemon handed out');
    const tooMany = await cli('replacements', 'list', '--limit', '5000');
    expect(tooMany.code).not.toBe(0);
    expect(tooMany.stderr).toContain('limit');

    const all = (await cli('replacements', 'list')).stdout;
    expect(all.split('\n')[0]).toMatch(/\sWAITING FOR$/);
    expect(all).toContain(
      'awaiting-approval: awaiting approval: rule instance-type requires an admin to approve\n',
    );

    expect(await cli('replacements', 'approve', 'job-approve')).toMatchObject({
      code: 0,
      stdout: 'approved job-approve (i-00000001); state queued\n',
    });
    const again = await cli('replacements', 'approve', 'job-approve');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('job job-approve is queued; only a job awaiting approval can be approved');

    const cancel = await cli('replacements', 'cancel', 'job-running', '--reason', 'oops');
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toContain('job job-running is running (step wait-healthy)');
    expect((await cli('replacements', 'cancel', 'job-approve', '--reason', 'not tonight')).stdout).toBe(
      'cancelled job-approve (i-00000001)\n',
    );
    expect((await cli('replacements', 'approve', 'job-nope')).stderr).toContain(
      'no replacement job job-nope',
    );
  });
});
