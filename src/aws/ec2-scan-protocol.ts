// The EC2 protocol of the scan's clients: a successful DescribeInstances is read by
// describe-instances-body.ts (only the fields a scan uses), everything else as the SDK reads it.
import { AwsEc2QueryProtocol } from '@aws-sdk/core/protocols';
import { collectBody } from '@smithy/core/protocols';
import type {
  HandlerExecutionContext,
  HttpResponse,
  MetadataBearer,
  OperationSchema,
  SerdeFunctions,
} from '@smithy/types';
import { parseDescribeInstancesBody } from './describe-instances-body.js';

/**
 * Only for clients that list and nothing else (scan and listing threads): other callers of
 * DescribeInstances, such as a replacement waiting for its new instance, need every field.
 */
export class Ec2ScanProtocol extends AwsEc2QueryProtocol {
  override async deserializeResponse<Output extends MetadataBearer>(
    operationSchema: OperationSchema,
    context: HandlerExecutionContext & SerdeFunctions,
    response: HttpResponse,
  ): Promise<Output> {
    if (response.statusCode >= 300 || !isDescribeInstances(operationSchema))
      return super.deserializeResponse(operationSchema, context, response);
    const bytes = await collectBody(response.body, context);
    const page = parseDescribeInstancesBody(bytes);
    // The scan reads Reservations and NextToken of this output, typed as the SDK's.
    return { ...page, $metadata: this.deserializeMetadata(response) } as unknown as Output;
  }
}

function isDescribeInstances(operationSchema: OperationSchema): boolean {
  const name = operationSchema.name;
  return (name.split('#')[1] ?? name) === 'DescribeInstances';
}
