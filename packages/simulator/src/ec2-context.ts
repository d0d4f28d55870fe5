// What every EC2 action handler receives, plus the lookups and parameter checks they share.
import type { SimWorld } from './sim-world.js';
import type { SimInstance } from './world-types.js';
import type { QueryParams } from './query-protocol.js';
import { Ec2ApiError } from './sim-errors.js';

export interface Ec2Context {
  fleet: SimWorld;
  region: string;
  params: QueryParams;
}

/** Returns the response body (children of `<{Action}Response>` after `requestId`). */
export type Ec2Handler = (ctx: Ec2Context) => string;

export function requireParam(params: QueryParams, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === '')
    throw new Ec2ApiError('MissingParameter', `The request must contain the parameter ${name}`);
  return value;
}

/** Instances are regional: an id from another region does not exist here, exactly like AWS. */
export function instancesInRegion(ctx: Ec2Context, instanceIds: readonly string[]): SimInstance[] {
  const missing: string[] = [];
  const found: SimInstance[] = [];
  for (const id of instanceIds) {
    const instance = ctx.fleet.instance(id);
    if (instance && instance.region === ctx.region) found.push(instance);
    else missing.push(id);
  }
  if (missing.length === 1)
    throw new Ec2ApiError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
  if (missing.length > 1)
    throw new Ec2ApiError(
      'InvalidInstanceID.NotFound',
      `The instance IDs '${missing.join(', ')}' do not exist`,
    );
  return found;
}

/** `DryRun=true` on a mutating call: AWS answers 412 DryRunOperation when the call would succeed. */
export function checkDryRun(params: QueryParams): void {
  if (params.get('DryRun') === 'true') {
    throw new Ec2ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
  }
}
