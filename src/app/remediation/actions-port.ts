// What the replacement strategies need from AWS (ReplacementActions); src/aws implements it over the SDK clients.
export interface InstanceFacts {
  instanceId: string;
  state: string;
  imageId: string | null;
  instanceType: string | null;
  subnetId: string | null;
  securityGroupIds: string[];
  iamInstanceProfileArn: string | null;
  httpTokens: string | null;
  tags: Record<string, string>;
  volumeIds: string[];
}

export type InstanceHealth = 'ok' | 'initializing' | 'impaired' | 'pending' | 'gone';

export interface LaunchRequest {
  imageId: string;
  instanceType: string | null;
  subnetId: string | null;
  securityGroupIds: string[];
  iamInstanceProfileArn: string | null;
  /** Used instead of the ARN when the manifest names the profile rather than giving its ARN. */
  iamInstanceProfileName?: string | null;
  httpTokens: string | null;
  httpEndpoint?: string | null;
  /** Base64, exactly as DescribeInstanceAttribute returned it. */
  userData: string | null;
  tags: Record<string, string>;
  /** Idempotency: the same token never launches a second instance. */
  clientToken: string;
}

export interface Ec2Port {
  describe(instanceId: string): Promise<InstanceFacts | null>;
  findByJob(jobId: string): Promise<InstanceFacts[]>;
  userData(instanceId: string): Promise<string | null>;
  run(request: LaunchRequest): Promise<string>;
  health(instanceId: string): Promise<InstanceHealth>;
  terminate(instanceId: string): Promise<void>;
  findSnapshots(jobId: string): Promise<{ snapshotId: string; volumeId: string }[]>;
  snapshot(volumeId: string, tags: Record<string, string>): Promise<string>;
}

export interface GroupMember {
  instanceId: string;
  lifecycle: string;
  healthy: boolean;
}

export interface GroupFacts {
  name: string;
  min: number;
  max: number;
  desired: number;
  members: GroupMember[];
}

export interface AsgPort {
  describe(name: string): Promise<GroupFacts | null>;
  setDesired(name: string, desired: number): Promise<void>;
  setMaxSize(name: string, max: number): Promise<void>;
  /** The image the group's launch template launches, or null when it cannot be told. */
  launchTemplateImage(name: string): Promise<string | null>;
  terminateInGroup(instanceId: string, decrementDesired: boolean): Promise<void>;
}

/** The AWS actions one replacement job may take, bound to that job's account and region. */
export interface ReplacementActions {
  ec2: Ec2Port;
  asg: AsgPort;
}

export const JOB_TAG = 'driftwarden:job';
export const REPLACES_TAG = 'driftwarden:replaces';

const GONE = new Set(['shutting-down', 'terminated']);

export function isGone(facts: InstanceFacts | null): boolean {
  return facts === null || GONE.has(facts.state);
}

/** Members that serve traffic: InService and healthy. */
export function inService(group: GroupFacts, except?: string): GroupMember[] {
  return group.members.filter((m) => m.lifecycle === 'InService' && m.healthy && m.instanceId !== except);
}

export function isLeaving(member: GroupMember | undefined): boolean {
  return member === undefined || /^Terminat|^Detach/.test(member.lifecycle);
}
