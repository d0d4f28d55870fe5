// RFC 9457 problem+json: one HTTP error class and the handler that renders anything thrown.
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ConflictError, NotFoundError, ValidationError, storageFailure } from '../domain/errors.js';
import { findJsonSyntaxError } from '../manifests/json-syntax-error.js';

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(detail ?? title, options);
    this.name = 'HttpProblem';
  }
}

export function sendProblem(res: Response, problem: HttpProblem, instance: string): void {
  res
    .status(problem.status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: 'about:blank',
        title: problem.title,
        status: problem.status,
        ...(problem.detail === undefined ? {} : { detail: problem.detail }),
        instance,
        ...problem.extra,
      }),
    );
}

/** Maps domain errors to HTTP; anything unknown becomes a logged 500 that leaks nothing. */
export function toProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof ValidationError)
    return new HttpProblem(400, 'Invalid request', error.message, { errors: error.issues });
  if (error instanceof ConflictError) return new HttpProblem(409, 'Conflict', error.message);
  if (error instanceof NotFoundError) return new HttpProblem(404, 'Not found', error.message);
  // The database cannot take the write now; reads keep working and the same write may succeed later.
  const storage = storageFailure(error);
  if (storage !== null)
    return storage.full
      ? new HttpProblem(
          507,
          'Insufficient storage',
          `the database's disk is full (${storage.code}); nothing was written, retry when space returns`,
          { code: storage.code },
          { cause: error },
        )
      : new HttpProblem(
          503,
          'Service unavailable',
          `the database reported an I/O error (${storage.code}); nothing was written, retry later`,
          { code: storage.code },
          { cause: error },
        );
  const e = error as { type?: string; status?: number; message?: string; body?: unknown };
  // body-parser errors carry a status and a type.
  if (e?.type === 'entity.too.large') return new HttpProblem(413, 'Payload too large', e.message);
  if (e?.type === 'entity.parse.failed') return new HttpProblem(400, 'Malformed JSON', describeSyntax(e));
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new HttpProblem(e.status, STATUS_CODES[e.status] ?? 'Bad request', e.message);
  }
  return new HttpProblem(500, 'Internal server error', undefined, {}, { cause: error });
}

/** Node 20's JSON.parse says only "at position N"; line and column are what an editor jumps to. */
function describeSyntax(e: { message?: string; body?: unknown }): string | undefined {
  const problem = typeof e.body === 'string' ? findJsonSyntaxError(e.body) : null;
  return problem
    ? `invalid JSON at line ${problem.line}, column ${problem.column}: ${problem.message}`
    : e.message;
}

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const problem = toProblem(error);
    const storage = storageFailure(error);
    // A storage failure is one known line with SQLite's code, not a stack per request.
    if (storage !== null)
      logger.error(
        { code: storage.code, method: req.method, path: req.path },
        'request failed: the database cannot write',
      );
    else if (problem.status >= 500)
      logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    sendProblem(res, problem, req.originalUrl);
  };
}
