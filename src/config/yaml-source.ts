// Parses YAML keeping source positions, and turns zod issues into "file:line: key: reason" messages.
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
  visit,
} from 'yaml';
import type { z } from 'zod';
import { ValidationError, errorMessage } from '../domain/errors.js';

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
  // The yaml package's own `uniqueKeys` check compares each key with every earlier one (10 s for a
  // mapping of 40,000 keys); duplicateKeys does the same check with one Set per mapping.
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const problems = [
    ...doc.errors.map((e) => ({ offset: e.pos[0], message: e.message.split('\n')[0] ?? e.message })),
    ...(doc.errors.length === 0 ? duplicateKeys(doc) : []),
  ];
  if (problems.length > 0) {
    throw new ValidationError(
      `${file}: invalid YAML`,
      problems.map((problem) => {
        const pos = lineCounter.linePos(problem.offset);
        return `${file}:${pos.line}:${pos.col}: ${problem.message}`;
      }),
      { location: file },
    );
  }
  // Each mapping's keys are indexed on first use, so locating every one of N reported issues costs
  // O(N × depth) rather than a scan of the mapping per issue (40,000 issues took tens of seconds).
  const keyIndex = new WeakMap<YAMLMap, Map<unknown, Pair>>();
  const pairOf = (map: YAMLMap, key: PropertyKey): Pair | undefined => {
    let index = keyIndex.get(map);
    if (index === undefined) {
      index = new Map();
      for (const pair of map.items) {
        const name = isScalar(pair.key) ? pair.key.value : pair.key;
        if (!index.has(name)) index.set(name, pair);
      }
      keyIndex.set(map, index);
    }
    return index.get(key);
  };
  const lineOf = (path: KeyPath): number => {
    let node: unknown = doc.contents;
    let line =
      node && typeof node === 'object' && 'range' in node ? lineFromNode(node as Node, lineCounter) : 1;
    for (const key of path) {
      if (isMap(node)) {
        const pair = pairOf(node, key);
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
  return { file, value: toValue(doc, file), lineOf };
}

/** Alias expansions allowed per alias (the yaml package's default): past it, a "billion laughs" document. */
const MAX_ALIAS_COUNT = 100;

function toValue(doc: Document, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
  } catch (error) {
    // The yaml package throws a bare ReferenceError that names no file.
    const reason =
      error instanceof ReferenceError
        ? `too many alias expansions (more than ${MAX_ALIAS_COUNT} for one alias), refused as a YAML bomb`
        : errorMessage(error);
    throw new ValidationError(`${file}: invalid YAML`, [`${file}: ${reason}`], {
      location: file,
      cause: error,
    });
  }
}

/** A key repeated in one mapping: YAML requires map keys to be unique, and a repeat would hide the first value. */
function duplicateKeys(doc: Document): { offset: number; message: string }[] {
  const found: { offset: number; message: string }[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const name = pair.key.value;
        if (seen.has(name)) {
          found.push({
            offset: pair.key.range?.[0] ?? 0,
            message: `duplicate key ${JSON.stringify(String(name))} (map keys must be unique)`,
          });
        } else seen.add(name);
      }
    },
  });
  return found;
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
