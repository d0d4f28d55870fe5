// Parses YAML keeping source positions, and turns zod issues into "file:line: key: reason" messages.
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ValidationError } from '../domain/errors.js';

export type KeyPath = readonly PropertyKey[];

export interface YamlSource {
  file: string;
  value: unknown;
  /** 1-based line of the node at `path` (or of its nearest existing ancestor). */
  lineOf(path: KeyPath): number;
}

export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems = [...doc.errors];
  if (problems.length > 0) {
    throw new ValidationError(
      `${file}: invalid YAML`,
      problems.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${file}:${pos.line}:${pos.col}: ${e.message.split('\n')[0] ?? e.message}`;
      }),
      { location: file },
    );
  }
  const lineOf = (path: KeyPath): number => {
    let node: unknown = doc.contents;
    let line =
      node && typeof node === 'object' && 'range' in node ? lineFromNode(node as Node, lineCounter) : 1;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
        if (!pair) break;
        line = lineFromNode((pair.key as Node | null) ?? node, lineCounter);
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key] as Node | undefined;
        if (!item) break;
        line = lineFromNode(item, lineCounter);
        node = item;
      } else break;
    }
    return line;
  };
  return { file, value: doc.toJS() as unknown, lineOf };
}

function lineFromNode(node: Node, lineCounter: LineCounter): number {
  const start = node.range?.[0];
  return start === undefined ? 1 : lineCounter.linePos(start).line;
}

/** Human message per zod issue: `file:line: key.path: message`. */
export function describeZodIssues(error: z.ZodError, source: Pick<YamlSource, 'file' | 'lineOf'>): string[] {
  return error.issues.map((issue) => {
    const line = source.lineOf(issue.path);
    return `${source.file}:${line}: ${formatKeyPath(issue.path)}: ${issue.message}`;
  });
}

/** Validates a parsed YAML document against a schema or throws a ValidationError listing every issue. */
export function validateYaml<S extends z.ZodType>(schema: S, source: YamlSource, what: string): z.output<S> {
  const result = schema.safeParse(source.value);
  if (!result.success) {
    throw new ValidationError(`${source.file}: invalid ${what}`, describeZodIssues(result.error, source), {
      location: source.file,
    });
  }
  return result.data;
}
