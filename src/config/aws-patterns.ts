// Shapes of AWS identifiers checked at the boundary (syntax only: AWS stays the authority on existence).

/** `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`. */
export const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+){1,2}-\d{1,2}$/;
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
/** IAM role ARN in any partition; the capture is the account id. */
export const ROLE_ARN_PATTERN = /^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
/** The account id inside a role ARN (`arn:aws:iam::123456789012:role/x` → `123456789012`), or null. */
export function roleArnAccount(roleArn: string | null): string | null {
  return roleArn === null ? null : (ROLE_ARN_PATTERN.exec(roleArn)?.[1] ?? null);
}
/** STS AssumeRole ExternalId: 2..1224 characters of this set. */
export const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;
export const INSTANCE_ID_PATTERN = /^i-[0-9a-f]{8,17}$/;
export const AMI_ID_PATTERN = /^ami-[0-9a-f]{8,17}$/;
export const SECURITY_GROUP_ID_PATTERN = /^sg-[0-9a-f]{8,17}$/;
