// STS (awsQuery, signing name `sts`): AssumeRole and GetCallerIdentity, shaped as @aws-sdk/client-sts reads them.
import { randomUUID } from 'node:crypto';
import type { AccountRegistry, Caller } from './accounts.js';
import type { AwsReply } from './ec2-service.js';
import type { QueryParams } from './query-protocol.js';
import { Ec2ApiError } from './sim-errors.js';
import { element, textElement } from './xml.js';

export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

const DEFAULT_DURATION_SECONDS = 3600;

export interface StsCall {
  accounts: AccountRegistry;
  caller: Caller;
  nowMs: number;
  params: QueryParams;
}

type StsHandler = (call: StsCall) => string;

function stsResponse(action: string, requestId: string, result: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${STS_XMLNS}">${element(`${action}Result`, result)}${element('ResponseMetadata', textElement('RequestId', requestId))}</${action}Response>`;
}

/** awsQuery's error envelope; the SDK takes `Error/Code` as the error's `name`. */
export function stsErrorReply(error: Ec2ApiError, requestId: string = randomUUID()): AwsReply {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  const detail =
    textElement('Type', type) + textElement('Code', error.code) + textElement('Message', error.message);
  return {
    status: error.status,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${STS_XMLNS}">${element('Error', detail)}${textElement('RequestId', requestId)}</ErrorResponse>`,
    requestId,
    errorCode: error.code,
  };
}

function validation(field: string, value: string, constraint: string): Ec2ApiError {
  return new Ec2ApiError(
    'ValidationError',
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

/** The caller as IAM names it in AccessDenied messages and GetCallerIdentity. */
function callerArn(caller: Caller): string {
  if (caller.roleArn === null) return `arn:aws:iam::${caller.account}:user/simulator`;
  const name = caller.roleArn.slice(caller.roleArn.lastIndexOf('/') + 1);
  return `arn:aws:sts::${caller.account}:assumed-role/${name}/driftwarden`;
}

function assumeRole({ accounts, caller, nowMs, params }: StsCall): string {
  const roleArn = params.get('RoleArn') ?? '';
  const sessionName = params.get('RoleSessionName') ?? '';
  if (roleArn.length < 20)
    throw validation('roleArn', roleArn, 'Member must have length greater than or equal to 20');
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName))
    throw validation(
      'roleSessionName',
      sessionName,
      'Member must satisfy regular expression pattern: [\\w+=,.@-]*',
    );
  const rawDuration = params.get('DurationSeconds');
  const duration = rawDuration === undefined ? DEFAULT_DURATION_SECONDS : Number(rawDuration);
  if (!Number.isInteger(duration) || duration < 900 || duration > 43_200)
    throw validation('durationSeconds', rawDuration ?? '', 'Member must have value between 900 and 43200');
  const role = accounts.role(roleArn);
  const externalId = params.get('ExternalId') ?? null;
  // AWS does not say which check failed: an unknown role, an untrusting policy and a wrong
  // ExternalId all read the same.
  if (!role || role.deny || (role.externalId !== null && role.externalId !== externalId))
    throw new Ec2ApiError(
      'AccessDenied',
      `User: ${callerArn(caller)} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      403,
    );
  const lifetime = Math.min(duration, role.maxSessionSeconds ?? duration);
  const issued = accounts.issue(role, nowMs + lifetime * 1000);
  const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
  return (
    element(
      'Credentials',
      textElement('AccessKeyId', issued.accessKeyId) +
        textElement('SecretAccessKey', issued.secretAccessKey) +
        textElement('SessionToken', issued.sessionToken) +
        textElement('Expiration', issued.expiration.toISOString()),
    ) +
    element(
      'AssumedRoleUser',
      textElement('AssumedRoleId', `AROA${role.account}SIM:${sessionName}`) +
        textElement('Arn', `arn:aws:sts::${role.account}:assumed-role/${roleName}/${sessionName}`),
    ) +
    textElement('PackedPolicySize', 0)
  );
}

function getCallerIdentity({ caller }: StsCall): string {
  return (
    textElement('UserId', caller.accessKeyId) +
    textElement('Account', caller.account) +
    textElement('Arn', callerArn(caller))
  );
}

export const STS_ACTIONS: Record<string, StsHandler> = {
  AssumeRole: assumeRole,
  GetCallerIdentity: getCallerIdentity,
};

export function handleStsRequest(call: StsCall): AwsReply {
  const requestId = randomUUID();
  const action = call.params.get('Action') ?? '';
  const handler = Object.hasOwn(STS_ACTIONS, action) ? STS_ACTIONS[action] : undefined;
  if (!handler)
    return stsErrorReply(
      new Ec2ApiError(
        'InvalidAction',
        `Could not find operation ${action || '(none)'} for version 2011-06-15`,
      ),
      requestId,
    );
  try {
    return { status: 200, body: stsResponse(action, requestId, handler(call)), requestId };
  } catch (error) {
    if (error instanceof Ec2ApiError) return stsErrorReply(error, requestId);
    return stsErrorReply(
      new Ec2ApiError('InternalFailure', `An internal error has occurred (simulator: ${String(error)})`, 500),
      requestId,
    );
  }
}
