// /api/v1/acceptances: list, add and revoke drift acceptances ("accept this drift"); writes need scope admin.
import { Router, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AcceptanceRepository } from '../app/ports.js';
import { INSTANCE_ID_PATTERN } from '../config/aws-patterns.js';
import { resolveAcceptanceUntil } from '../core/acceptance.js';
import { ConflictError, errorMessage } from '../domain/errors.js';
import { jsonBody } from './api-routes.js';
import { principalOf, type Scope } from './auth.js';
import { CURSOR_KEYS, pageAnswer, pageParams } from './cursor.js';
import { HttpProblem } from './problem.js';
import { validateInput } from './validate-input.js';

export interface AcceptanceRoutesOptions {
  acceptances: AcceptanceRepository;
  requireScope(scope: Scope): RequestHandler;
  bodyLimit: string | number;
  clock(): Date;
  logger: Logger;
}

export const acceptancesQuery = z.strictObject({
  all: z.enum(['true', 'false']).optional(),
  instanceId: z.string().optional(),
  ...pageParams(CURSOR_KEYS.id),
});
/**
 * Sent with a revoke fanned out by a peer: what the acceptance revoked there is. Ids are numbered by
 * each replica, so they differ once a replica has missed an add; a peer revokes only the same acceptance.
 */
export const ACCEPTANCE_IDENTITY_HEADER = 'X-Driftwarden-Acceptance';
const identity = z.object({
  instanceId: z.string().nullable(),
  rule: z.string().nullable(),
  reason: z.string(),
});
type AcceptanceIdentity = z.infer<typeof identity>;

/** The identity header for a revoke answer (an acceptance), to send with the revoke to the peers. */
export function acceptanceIdentityHeader(answer: unknown): Record<string, string> {
  const parsed = identity.safeParse(answer);
  if (!parsed.success) return {};
  const { instanceId, rule, reason } = parsed.data;
  // URI-encoded: a reason may hold any character, a header only visible ASCII.
  return { [ACCEPTANCE_IDENTITY_HEADER]: encodeURIComponent(JSON.stringify({ instanceId, rule, reason })) };
}

function readIdentity(text: string): AcceptanceIdentity {
  let value: unknown;
  try {
    value = JSON.parse(decodeURIComponent(text));
  } catch (error) {
    throw new HttpProblem(
      400,
      'Invalid request',
      `header ${ACCEPTANCE_IDENTITY_HEADER}: ${errorMessage(error)}`,
    );
  }
  return validateInput(identity, value, `header ${ACCEPTANCE_IDENTITY_HEADER}`);
}

const sameAcceptance = (a: AcceptanceIdentity, b: AcceptanceIdentity): boolean =>
  a.instanceId === b.instanceId && a.rule === b.rule && a.reason === b.reason;

export const acceptanceIdParams = z.object({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});

/** The body of `POST /acceptances`; `until` is resolved against the request's time (`nowMs`). */
export function acceptanceBody(nowMs: number) {
  return z
    .strictObject({
      instanceId: z
        .string()
        .regex(INSTANCE_ID_PATTERN, 'must be an EC2 instance id like i-0123456789abcdef0')
        .nullish(),
      rule: z.string().trim().min(1, 'must be a rule id').max(200).nullish(),
      until: z.string().transform((text, ctx) => {
        const resolved = resolveAcceptanceUntil(text, nowMs);
        if ('until' in resolved) return resolved.until;
        ctx.addIssue({ code: 'custom', message: resolved.error });
        return z.NEVER;
      }),
      reason: z.string().trim().min(1, 'a reason is required').max(1000),
    })
    .refine((b) => b.instanceId != null || b.rule != null, {
      message: 'name an instanceId, a rule, or both',
      path: ['instanceId'],
    });
}

export function createAcceptanceRoutes(options: AcceptanceRoutesOptions): Router {
  const router = Router();
  const body = jsonBody(options.bodyLimit);
  const { acceptances, logger } = options;

  router.get('/acceptances', (req, res) => {
    const q = validateInput(acceptancesQuery, req.query, 'query');
    const page = acceptances.page(
      {
        includeInactive: q.all === 'true',
        at: options.clock().toISOString(),
        ...(q.instanceId === undefined ? {} : { instanceId: q.instanceId }),
      },
      { limit: q.limit, ...(q.cursor === undefined ? {} : { after: q.cursor }) },
    );
    res.json(pageAnswer(req, page, q.limit));
  });

  router.post('/acceptances', options.requireScope('admin'), body, (req, res) => {
    // One time for the whole request: a duration like `2d` ends exactly 2 days after createdAt.
    const now = options.clock();
    const input = validateInput(acceptanceBody(now.getTime()), req.body, 'body');
    const added = acceptances.add(
      {
        instanceId: input.instanceId ?? null,
        rule: input.rule ?? null,
        reason: input.reason,
        until: input.until,
        createdBy: principalOf(res.locals),
      },
      now.toISOString(),
    );
    logger.info(
      {
        acceptanceId: added.id,
        instanceId: added.instanceId,
        rule: added.rule,
        until: added.until,
        by: added.createdBy,
      },
      'drift accepted; takes effect at the next scan',
    );
    res.status(201).json(added);
  });

  router.post('/acceptances/:id/revoke', options.requireScope('admin'), (req, res) => {
    const { id } = validateInput(acceptanceIdParams, req.params, 'path');
    const before = acceptances.get(id);
    const expected = req.get(ACCEPTANCE_IDENTITY_HEADER);
    if (expected !== undefined && (before === null || !sameAcceptance(before, readIdentity(expected)))) {
      throw new ConflictError(
        `acceptance ${id} on this shard is ${before === null ? 'missing' : 'another one'}: this shard missed an acceptance write, so its ids differ; revoke it here by its own id (GET /api/v1/acceptances?all=true)`,
      );
    }
    const revoked = acceptances.revoke(id, principalOf(res.locals), options.clock().toISOString());
    if (before?.revokedAt === null) {
      logger.info(
        { acceptanceId: id, instanceId: revoked.instanceId, rule: revoked.rule, by: revoked.revokedBy },
        'acceptance revoked; its findings are drift again from the next scan',
      );
    }
    res.json(revoked);
  });

  return router;
}
