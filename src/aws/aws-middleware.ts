// SDK middleware applied to every client: our own request budget and a per-attempt outcome callback.
import type { MiddlewareStack } from '@smithy/types';
import { isThrottled } from './aws-errors.js';
import type { AwsService } from './aws-operations.js';
import type { RequestBudget } from './request-budget.js';

export const AWS_REQUEST_OUTCOMES = ['success', 'throttled', 'error'] as const;
export type AwsRequestOutcome = (typeof AWS_REQUEST_OUTCOMES)[number];

export type AwsRequestRecorder = (service: string, operation: string, outcome: AwsRequestOutcome) => void;

export function classifyAwsError(error: unknown): AwsRequestOutcome {
  return isThrottled(error) ? 'throttled' : 'error';
}

/** The part of an SDK v3 client this module needs; every `@aws-sdk/client-*` client has it. */
interface InstrumentableClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  middlewareStack: MiddlewareStack<any, any>;
}

/**
 * Runs inside the SDK's retry loop (finalizeRequest, low priority), so every attempt — retries
 * included — waits for the budget and is counted.
 */
export function instrumentClient(
  client: InstrumentableClient,
  options: { service: AwsService; budget: RequestBudget; record: AwsRequestRecorder },
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      await options.budget.take();
      const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      try {
        const result = await next(args);
        options.record(options.service, operation, 'success');
        return result;
      } catch (error) {
        options.record(options.service, operation, classifyAwsError(error));
        throw error;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'driftwardenBudgetAndMetrics' },
  );
}
