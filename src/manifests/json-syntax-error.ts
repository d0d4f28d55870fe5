// Finds where JSON text breaks (line and column), which Node 20's JSON.parse messages do not say.

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
  constructor(private readonly text: string) {}

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
    for (;;) {
      this.space();
      if (this.text[this.pos] !== '"') throw this.unexpected('a property name in double quotes');
      this.string();
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
