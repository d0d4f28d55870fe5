// Adversarial: malformed config, manifest and rules files (generated here, none committed) each make the
// CLI exit non-zero with a clear error naming the file, quickly and without a stack trace.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.js';
import { SUMMARY } from '../../support/summary-reporter.js';

type Kind = 'config' | 'manifest' | 'rules';

interface Case {
  kind: Kind;
  name: string;
  content: Buffer;
}

const DEPTH = 10_000;
const ERRORS = 50_000;

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
/** UTF-16LE with a byte-order mark: what some Windows editors save. */
const utf16 = (text: string): Buffer =>
  Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));

/** Billion laughs: ten levels of ten aliases each, 10^10 strings if expanded. */
function yamlBomb(prefix: string): string {
  const lines = [`${prefix}a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]`];
  for (let n = 1; n < 10; n++)
    lines.push(`${prefix}a${n}: &a${n} [${Array.from({ length: 10 }, () => `*a${n - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

const MANIFEST = {
  schemaVersion: 1,
  image: {
    id: 'ami-0123456789abcdef0',
    region: 'us-east-1',
    name: 'api-2026-11-11',
    channel: 'api',
    builtAt: '2026-11-11T09:00:00Z',
  },
  launch: { instanceType: ['t3.medium'], metadataOptions: { httpTokens: 'required' } },
};

const CASES: Case[] = [
  // An empty config is the defaults and an empty rule file holds no rules, both valid; an empty
  // manifest is not.
  { kind: 'manifest', name: 'empty', content: Buffer.alloc(0) },
  ...(['config', 'manifest', 'rules'] as const).flatMap((kind): Case[] => [
    { kind, name: 'binary', content: binary },
    {
      kind,
      name: 'utf-16 with BOM',
      content: utf16(
        kind === 'config'
          ? 'http:\n  port: 0\n'
          : kind === 'rules'
            ? 'rules:\n  - id: x\n    match: { change: [changed] }\n    severity: low\n    action: report\n'
            : JSON.stringify(MANIFEST),
      ),
    },
    {
      kind,
      name: 'duplicate keys',
      content: utf8(
        kind === 'config'
          ? 'http:\n  port: 1\nhttp:\n  port: 2\n'
          : kind === 'rules'
            ? 'rules: []\nrules: []\n'
            : JSON.stringify(MANIFEST).replace(
                '"region":"us-east-1"',
                '"region":"us-east-1","region":"eu-west-1"',
              ),
      ),
    },
    {
      kind,
      name: `nesting ${DEPTH} deep`,
      content: utf8(
        kind === 'manifest'
          ? `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`
          : `${kind === 'config' ? 'http' : 'rules'}: ${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}\n`,
      ),
    },
    {
      kind,
      name: `${ERRORS} errors`,
      content: utf8(
        kind === 'config'
          ? Array.from({ length: ERRORS }, (_, n) => `unknown${n}: 1\n`).join('')
          : kind === 'rules'
            ? // Three problems each (no match, an unknown severity, no action).
              `rules:\n${Array.from({ length: Math.ceil(ERRORS / 3) }, (_, n) => `  - { id: r${n}, severity: nope }\n`).join('')}`
            : JSON.stringify({
                ...MANIFEST,
                host: {
                  packages: Object.fromEntries(Array.from({ length: ERRORS }, (_, n) => [`pkg-${n}`, ''])),
                },
              }),
      ),
    },
  ]),
  // Aliases are YAML's: the JSON manifest has no bomb of its own.
  { kind: 'config', name: 'YAML bomb', content: utf8(yamlBomb('')) },
  { kind: 'rules', name: 'YAML bomb', content: utf8(`rules: []\n${yamlBomb('x')}`) },
];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-files-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes the case's file and returns its path and the command that reads it. */
function prepare(c: Case, n: number): { file: string; args: string[] } {
  const slug = `${n}-${c.name.replaceAll(/[^a-z0-9]+/gi, '-')}`;
  if (c.kind === 'rules') {
    const rulesDir = join(dir, `rules-${slug}`);
    mkdirSync(rulesDir);
    const file = join(rulesDir, '10-bad.yaml');
    writeFileSync(file, c.content);
    return { file, args: ['rules', 'check', rulesDir] };
  }
  const file = join(dir, `${c.kind}-${slug}.${c.kind === 'config' ? 'yaml' : 'json'}`);
  writeFileSync(file, c.content);
  return c.kind === 'config'
    ? { file, args: ['-c', file, 'rules', 'check'] }
    : { file, args: ['manifest', 'import', file] };
}

it(`answers ${CASES.length} malformed files with a clear error naming the file`, async ({ annotate }) => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DRIFTWARDEN_CONFIG: '',
    DRIFTWARDEN_DATABASE_PATH: join(dir, 'driftwarden.db'),
  };
  const unclear: string[] = [];
  let slowest = { seconds: 0, what: '' };
  for (const [n, c] of CASES.entries()) {
    const { file, args } = prepare(c, n);
    const started = process.hrtime.bigint();
    // Bounded: a child that hangs (a parser lost in a bomb) is killed and fails the test. The bound is
    // generous for a loaded CI machine; the time taken is reported in the summary line.
    const result = await runCli(args, { env, timeoutMs: 30_000 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const what = `${c.kind} ${c.name}`;
    if (seconds > slowest.seconds) slowest = { seconds, what };
    const output = result.stderr + result.stdout;
    const clear =
      result.code !== null &&
      result.code !== 0 &&
      output.includes(file) &&
      !/^\s+at /m.test(output) &&
      output.length < 64 * 1024;
    if (!clear)
      unclear.push(
        `${what}: exit ${result.code ?? result.signal}, ${output.length} chars: ${output.slice(0, 300)}`,
      );
  }
  await annotate(
    `adversarial files: ${CASES.length} files, ${CASES.length - unclear.length} clear errors, ` +
      `max ${slowest.seconds.toFixed(2)} s (${slowest.what})`,
    SUMMARY,
  );
  expect(unclear).toEqual([]);
}, 180_000);
