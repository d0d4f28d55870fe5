// Bearer-token authentication with scopes; tokens are compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

export type Scope = 'ingest' | 'admin' | 'scan' | 'manifests';

export interface ApiToken {
  name: string;
  token: string;
  scopes: readonly string[];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function createAuthenticator(tokens: readonly ApiToken[]): (scope: Scope) => RequestHandler {
  // Hashing first makes every comparison the same length, so timing reveals neither content nor length.
  const known = tokens.map((t) => ({ name: t.name, scopes: new Set(t.scopes), digest: digest(t.token) }));
  return (scope) => (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) {
      res.set('WWW-Authenticate', `Bearer realm="driftwarden", scope="${scope}"`);
      next(new HttpProblem(401, 'Unauthorized', `This endpoint needs a bearer token with scope "${scope}".`));
      return;
    }
    const presented = digest(match[1]);
    let found: (typeof known)[number] | undefined;
    for (const candidate of known) {
      if (timingSafeEqual(candidate.digest, presented)) found = candidate;
    }
    if (!found) {
      res.set('WWW-Authenticate', `Bearer realm="driftwarden", error="invalid_token"`);
      next(new HttpProblem(401, 'Unauthorized', 'The bearer token is not valid.'));
      return;
    }
    if (!found.scopes.has(scope) && !found.scopes.has('admin')) {
      next(new HttpProblem(403, 'Forbidden', `Token "${found.name}" lacks scope "${scope}".`));
      return;
    }
    res.locals.principal = found.name;
    next();
  };
}

/** Who made an authenticated request: the token's name, for audit entries and `createdBy`. */
export function principalOf(locals: Record<string, unknown>): string {
  return typeof locals.principal === 'string' ? locals.principal : 'api';
}
