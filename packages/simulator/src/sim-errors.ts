// The simulator's three failure kinds: bad control input, an unknown resource, and an AWS-shaped API error.

/** Control-API input that parsed but makes no sense; `field` names the offending JSON path. */
export class SimulatorInputError extends Error {
  override name = 'SimulatorInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export class UnknownResourceError extends Error {
  override name = 'UnknownResourceError';
  constructor(
    readonly kind: 'instance' | 'image' | 'fault' | 'group',
    readonly id: string,
  ) {
    super(`unknown ${kind} ${id}`);
  }
}

/**
 * An AWS-shaped API error: rendered as EC2's `<Response><Errors><Error>` or Auto Scaling's
 * `<ErrorResponse><Error>` body; the SDK turns `code` into `error.name`.
 */
export class Ec2ApiError extends Error {
  override name = 'Ec2ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}
