// Dispatches one Auto Scaling (awsQuery) request to its action handler and renders the reply or AWS error.
import { randomUUID } from 'node:crypto';
import { ASG_ACTIONS, type AsgHandler } from './asg-actions.js';
import { asgErrorResponse, asgResponse } from './asg-xml.js';
import type { AwsReply } from './ec2-service.js';
import type { SimWorld } from './sim-world.js';
import type { QueryParams } from './query-protocol.js';
import { Ec2ApiError, SimulatorInputError, UnknownResourceError } from './sim-errors.js';

export const AUTOSCALING_ACTIONS: Record<string, AsgHandler> = ASG_ACTIONS;

export function asgErrorReply(error: Ec2ApiError, requestId: string = randomUUID()): AwsReply {
  return {
    status: error.status,
    body: asgErrorResponse(error.code, error.message, requestId, error.status),
    requestId,
    errorCode: error.code,
  };
}

/** Auto Scaling reports bad input of every kind as ValidationError. */
function toAsgError(error: unknown): Ec2ApiError {
  if (error instanceof Ec2ApiError) return error;
  if (error instanceof UnknownResourceError || error instanceof SimulatorInputError)
    return new Ec2ApiError('ValidationError', error.message);
  return new Ec2ApiError(
    'InternalFailure',
    `An internal error has occurred (simulator: ${String(error)})`,
    500,
  );
}

export function handleAutoScalingRequest(fleet: SimWorld, region: string, params: QueryParams): AwsReply {
  const requestId = randomUUID();
  const action = params.get('Action') ?? '';
  const handler = Object.hasOwn(AUTOSCALING_ACTIONS, action) ? AUTOSCALING_ACTIONS[action] : undefined;
  if (!handler)
    return asgErrorReply(
      new Ec2ApiError('InvalidAction', `The action ${action || '(none)'} is not valid for this web service.`),
      requestId,
    );
  try {
    return {
      status: 200,
      body: asgResponse(action, requestId, handler({ fleet, region, params })),
      requestId,
    };
  } catch (error) {
    return asgErrorReply(toAsgError(error), requestId);
  }
}
