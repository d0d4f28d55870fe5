// Dispatches one EC2 Query request to its action handler and renders the XML reply or AWS error.
import { randomUUID } from 'node:crypto';
import { DESCRIBE_ACTIONS } from './ec2-describe.js';
import { LAUNCH_TEMPLATE_ACTIONS } from './ec2-launch-templates.js';
import { LIFECYCLE_ACTIONS } from './ec2-lifecycle-actions.js';
import { MUTATING_ACTIONS } from './ec2-mutations.js';
import { SNAPSHOT_ACTIONS } from './ec2-snapshots.js';
import { ec2ErrorResponse, ec2Response } from './ec2-xml.js';
import type { Ec2Handler } from './ec2-context.js';
import type { SimWorld } from './sim-world.js';
import type { QueryParams } from './query-protocol.js';
import { Ec2ApiError, SimulatorInputError, UnknownResourceError } from './sim-errors.js';

export const EC2_ACTIONS: Record<string, Ec2Handler> = {
  ...DESCRIBE_ACTIONS,
  ...MUTATING_ACTIONS,
  ...LIFECYCLE_ACTIONS,
  ...SNAPSHOT_ACTIONS,
  ...LAUNCH_TEMPLATE_ACTIONS,
};

export interface AwsReply {
  status: number;
  body: string;
  requestId: string;
  errorCode?: string;
  /** Default `text/xml` (the Query protocols); JSON protocols set their own. */
  contentType?: string;
}

export function errorReply(error: Ec2ApiError, requestId: string = randomUUID()): AwsReply {
  return {
    status: error.status,
    body: ec2ErrorResponse(error.code, error.message, requestId),
    requestId,
    errorCode: error.code,
  };
}

/** Fleet-level errors raised under an EC2 call still have to reach the SDK as EC2 errors. */
function toEc2Error(error: unknown): Ec2ApiError {
  if (error instanceof Ec2ApiError) return error;
  if (error instanceof UnknownResourceError) {
    return new Ec2ApiError(
      error.kind === 'image' ? 'InvalidAMIID.NotFound' : 'InvalidInstanceID.NotFound',
      error.message,
    );
  }
  if (error instanceof SimulatorInputError) {
    const code = error.field === 'subnetId' ? 'InvalidSubnetID.NotFound' : 'InvalidParameterValue';
    return new Ec2ApiError(code, error.message);
  }
  // A simulator bug: say so in the message, since nothing else would show it to the test author.
  return new Ec2ApiError(
    'InternalError',
    `An internal error has occurred (simulator: ${String(error)})`,
    500,
  );
}

export function handleEc2Request(fleet: SimWorld, region: string, params: QueryParams): AwsReply {
  const requestId = randomUUID();
  const action = params.get('Action');
  if (!action)
    return errorReply(
      new Ec2ApiError('MissingAction', 'The request must contain the parameter Action'),
      requestId,
    );
  const handler = Object.hasOwn(EC2_ACTIONS, action) ? EC2_ACTIONS[action] : undefined;
  if (!handler)
    return errorReply(
      new Ec2ApiError('InvalidAction', `The action ${action} is not valid for this web service.`),
      requestId,
    );
  try {
    return {
      status: 200,
      body: ec2Response(action, requestId, handler({ fleet, region, params })),
      requestId,
    };
  } catch (error) {
    return errorReply(toEc2Error(error), requestId);
  }
}
