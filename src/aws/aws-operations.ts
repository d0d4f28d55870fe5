// The AWS operations driftwarden calls, by the service label its clients count them under: the known series of driftwarden_aws_requests_total.
import { AWS_REQUEST_OUTCOMES, type AwsRequestOutcome } from './aws-middleware.js';

/** The `service` label of each client's requests (`instrumentClient`). */
export const AWS_SERVICES = ['autoscaling', 'config', 'ec2', 'sts'] as const;
export type AwsService = (typeof AWS_SERVICES)[number];

/**
 * Every operation the code sends, per service (`test/aws/aws-operations.test.ts` derives the same
 * list from the SDK commands the source imports, so a new call fails there until it is added).
 */
export const AWS_OPERATIONS: Record<AwsService, readonly string[]> = {
  autoscaling: [
    'DescribeAutoScalingGroups',
    'SetDesiredCapacity',
    'TerminateInstanceInAutoScalingGroup',
    'UpdateAutoScalingGroup',
  ],
  config: ['BatchGetResourceConfig', 'SelectResourceConfig'],
  ec2: [
    'CreateSnapshot',
    'DescribeInstanceAttribute',
    'DescribeInstanceStatus',
    'DescribeInstances',
    'DescribeLaunchTemplateVersions',
    'DescribeSnapshots',
    'RunInstances',
    'TerminateInstances',
  ],
  sts: ['AssumeRole'],
};

export interface AwsRequestSeries {
  service: AwsService;
  operation: string;
  outcome: AwsRequestOutcome;
}

/** Every operation × outcome: the series the request counter exports at 0 from start. */
export function knownAwsRequestSeries(): AwsRequestSeries[] {
  return AWS_SERVICES.flatMap((service) =>
    AWS_OPERATIONS[service].flatMap((operation) =>
      AWS_REQUEST_OUTCOMES.map((outcome) => ({ service, operation, outcome })),
    ),
  );
}
