// The source-layout table in docs/architecture.md matches the tree, and the docs cite only the repository's own documents.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Repository-relative, with `/` separators; directories end with `/` as they do in the table. */
function repoPath(absolute: string, isDirectory: boolean): string {
  const path = relative(ROOT, absolute).split(sep).join('/');
  return isDirectory ? `${path}/` : path;
}

/** The first cell of every row of the "Source layout" table: one backticked path per row. */
function layoutRows(): string[] {
  const text = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const start = text.indexOf('\n## Source layout\n');
  if (start < 0) throw new Error('docs/architecture.md has no "## Source layout" section');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2) // header and separator
    .map((line) => line.split('|')[1]?.trim() ?? '');
  return rows.map((cell) => {
    const match = /^`([^`]+)`$/.exec(cell);
    if (!match?.[1]) throw new Error(`source-layout row without a single backticked path: ${cell}`);
    return match[1];
  });
}

/** Every directory below `dir` (not `dir` itself) that directly holds a `.ts` file. */
function directoriesWithTypeScript(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const child = join(dir, entry.name);
    const holdsTs = readdirSync(child, { withFileTypes: true }).some(
      (e) => e.isFile() && e.name.endsWith('.ts'),
    );
    if (holdsTs) found.push(repoPath(child, true));
    found.push(...directoriesWithTypeScript(child));
  }
  return found;
}

function filesUnder(path: string): string[] {
  const absolute = join(ROOT, path);
  if (statSync(absolute).isFile()) return [path];
  return readdirSync(absolute, { withFileTypes: true }).flatMap((entry) =>
    filesUnder(join(path, entry.name)),
  );
}

const BINARY = new Set(['.png', '.jpg', '.jpeg', '.gif', '.ico', '.woff', '.woff2']);

// Built from parts so that this file does not itself contain what it forbids.
const FORBIDDEN = [['DESIGN', '§'].join(' '), ['DESIGN', 'md'].join('.'), ['..', 'shared'].join('/')];

describe('docs/architecture.md source layout', () => {
  const rows = layoutRows();
  const listed = new Set(rows);

  it('lists every folder under src/ that holds TypeScript files', () => {
    const unlisted = directoriesWithTypeScript(join(ROOT, 'src')).filter((dir) => !listed.has(dir));
    expect(unlisted, `folders missing from the source-layout table: ${unlisted.join(', ')}`).toEqual([]);
  });

  it('lists every package under packages/', () => {
    const packagesDir = join(ROOT, 'packages');
    const packages = existsSync(packagesDir)
      ? readdirSync(packagesDir, { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => repoPath(join(packagesDir, entry.name), true))
      : [];
    const unlisted = packages.filter((pkg) => !listed.has(pkg));
    expect(unlisted, `packages missing from the source-layout table: ${unlisted.join(', ')}`).toEqual([]);
  });

  it('names only paths that exist, folders with a trailing slash', () => {
    const wrong = rows.filter((path) => {
      const absolute = join(ROOT, path);
      if (!existsSync(absolute)) return true;
      return statSync(absolute).isDirectory() !== path.endsWith('/');
    });
    expect(wrong, `source-layout rows naming no such path: ${wrong.join(', ')}`).toEqual([]);
  });

  it('names each path once', () => {
    const repeated = rows.filter((path, i) => rows.indexOf(path) !== i);
    expect(repeated, `source-layout rows listed twice: ${repeated.join(', ')}`).toEqual([]);
  });
});

describe('documents the project cites', () => {
  it('are its own: no reference to a design file outside the repository', () => {
    const files = ['src', 'docs', 'README.md', 'CONTRIBUTING.md', 'CHANGELOG.md']
      .flatMap(filesUnder)
      .filter((file) => !BINARY.has(extname(file)));
    const citing = files.flatMap((file) => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      return FORBIDDEN.filter((needle) => text.includes(needle)).map((needle) => `${file}: ${needle}`);
    });
    expect(citing, `files citing a document outside the repository: ${citing.join(', ')}`).toEqual([]);
  });

  it('include the product contract, docs/design.md, with its numbered sections', () => {
    const design = readFileSync(join(ROOT, 'docs/design.md'), 'utf8');
    const sections = [...design.matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1]));
    expect(sections).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
