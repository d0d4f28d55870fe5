// Finds where JSON text breaks (line and column), which Node 20's JSON.parse messages do not say, and
// where valid JSON repeats a key, which JSON.parse accepts silently (the last value wins).
import { ValidationError } from '../domain/errors.js';

export interface JsonSyntaxProblem {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
  message: string;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Stop extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** A key repeated in one object: the text is valid JSON, but two values claim one key. */
class DuplicateKey extends Stop {}

/** Null when the text is valid JSON (or too deeply nested to check without overflowing the stack). */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | null {
  try {
    new JsonChecker(text).document();
    return null;
  } catch (error) {
    if (!(error instanceof Stop)) return null;
    return { ...lineAndColumn(text, error.offset), message: error.message };
  }
}

/**
 * The first key repeated within one object; null when there is none before the text's first syntax
 * error (if any), or when it is too deeply nested to check.
 */
export function findDuplicateJsonKey(text: string): JsonSyntaxProblem | null {
  try {
    new JsonChecker(text, true).document();
    return null;
  } catch (error) {
    if (!(error instanceof DuplicateKey)) return null;
    return { ...lineAndColumn(text, error.offset), message: error.message };
  }
}

/**
 * Throws a ValidationError naming `origin`, the line and the key when JSON text repeats a key in
 * one object: `"region":"us-east-1","region":"eu-west-1"` would otherwise import eu-west-1 silently.
 */
export function refuseDuplicateJsonKeys(text: string, origin: string): void {
  const duplicate = findDuplicateJsonKey(text);
  if (duplicate === null) return;
  throw new ValidationError(
    `${origin}: invalid JSON`,
    [`${origin}:${duplicate.line}:${duplicate.column}: ${duplicate.message}`],
    { location: `${origin}:${duplicate.line}` },
  );
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** A recursive-descent recogniser for RFC 8259; it builds nothing, it only finds the first error. */
class JsonChecker {
  private pos = 0;
  constructor(
    private readonly text: string,
    /** Also stop at the second occurrence of a key within one object. */
    private readonly uniqueKeys = false,
  ) {}

  document(): void {
    this.space();
    if (this.pos >= this.text.length) throw new Stop(this.pos, 'empty document');
    this.value();
    this.space();
    if (this.pos < this.text.length) throw this.unexpected('end of document');
  }

  private unexpected(expected: string): Stop {
    if (this.pos >= this.text.length)
      return new Stop(this.pos, `unexpected end of input, expected ${expected}`);
    return new Stop(this.pos, `unexpected ${JSON.stringify(this.text[this.pos])}, expected ${expected}`);
  }

  private space(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos] ?? '')) this.pos++;
  }

  private value(): void {
    const c = this.text[this.pos];
    if (c === '{') this.object();
    else if (c === '[') this.array();
    else if (c === '"') this.string();
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) this.number();
    else if (!this.word('true') && !this.word('false') && !this.word('null'))
      throw this.unexpected('a value');
  }

  private word(w: string): boolean {
    if (!this.text.startsWith(w, this.pos)) return false;
    this.pos += w.length;
    return true;
  }

  private object(): void {
    this.pos++;
    this.space();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    const keys = this.uniqueKeys ? new Map<string, number>() : null;
    for (;;) {
      this.space();
      if (this.text[this.pos] !== '"') throw this.unexpected('a property name in double quotes');
      const start = this.pos;
      this.string();
      if (keys !== null) this.checkKey(keys, start);
      this.space();
      if (this.text[this.pos] !== ':') throw this.unexpected("':'");
      this.pos++;
      this.space();
      this.value();
      this.space();
      const c = this.text[this.pos];
      if (c === ',') this.pos++;
      else if (c === '}') {
        this.pos++;
        return;
      } else throw this.unexpected("',' or '}'");
    }
  }

  /** Records the key that starts at `start` (its opening quote), stopping if the object already has it. */
  private checkKey(keys: Map<string, number>, start: number): void {
    const key = JSON.parse(this.text.slice(start, this.pos)) as string;
    const first = keys.get(key);
    if (first === undefined) keys.set(key, start);
    else {
      const firstLine = lineAndColumn(this.text, first).line;
      throw new DuplicateKey(start, `duplicate key ${JSON.stringify(key)} (first on line ${firstLine})`);
    }
  }

  private array(): void {
    this.pos++;
    this.space();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.space();
      this.value();
      this.space();
      const c = this.text[this.pos];
      if (c === ',') this.pos++;
      else if (c === ']') {
        this.pos++;
        return;
      } else throw this.unexpected("',' or ']'");
    }
  }

  private string(): void {
    this.pos++;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) throw new Stop(this.pos, 'unterminated string');
      if (c === '"') {
        this.pos++;
        return;
      }
      if (c < ' ') throw new Stop(this.pos, 'control character in string (escape it)');
      if (c === '\\') {
        const e = this.text[this.pos + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) {
            throw new Stop(this.pos, 'invalid \\u escape');
          }
          this.pos += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) this.pos += 2;
        else throw new Stop(this.pos, 'invalid escape in string');
      } else this.pos++;
    }
  }

  private number(): void {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) throw new Stop(this.pos, 'invalid number');
    this.pos += match[0].length;
  }
}
