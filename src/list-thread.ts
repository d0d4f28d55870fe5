// Entry of a listing thread (a worker_threads Worker of list-thread-pool.ts): DescribeInstances pages
// of the parts it is given, fetched and parsed here, sent back as slim observations.
import { parentPort, workerData } from 'node:worker_threads';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AwsClients, clientKeyId, type ClientKey } from './aws/aws-clients.js';
import { createInThreadLister } from './sources/ec2/part-lister.js';
import {
  deserializeError,
  serializeError,
  type FromListThread,
  type ListThreadData,
  type ToListThread,
} from './list-thread-pool.js';
import { lowerThreadPriority } from './thread-priority.js';

const port = parentPort;
if (port === null) throw new Error('list-thread.js runs only as a worker thread of the scan');
const data = workerData as ListThreadData;
const post = (message: FromListThread): void => port.postMessage(message);
lowerThreadPriority(data.niceness);

// The scan's budget per account+region, handed over with each part: every thread draws from it.
const budgets = new Map<string, SharedArrayBuffer>();
// A role is assumed once, by the scan's AwsClients: every request here asks it for the (cached)
// credentials instead of calling STS from each thread.
const credentialRequests = new Map<
  number,
  { resolve(identity: AwsCredentialIdentity): void; reject(error: Error): void }
>();
let nextRequestId = 1;
const roleCredentials =
  (key: ClientKey): AwsCredentialIdentityProvider =>
  () =>
    new Promise<AwsCredentialIdentity>((resolve, reject) => {
      const requestId = nextRequestId++;
      credentialRequests.set(requestId, { resolve, reject });
      post({ type: 'credentials', requestId, key });
    });
const clients = new AwsClients({
  ...data.aws,
  record: (service, operation, outcome) => post({ type: 'aws', service, operation, outcome }),
  sharedBudget: (keyId) => budgets.get(keyId),
  roleCredentials,
  scanOnly: true,
});
const lister = createInThreadLister({ clientFor: (target) => clients.ec2(target), pageSize: data.pageSize });
const running = new Map<number, AbortController>();

port.on('message', (message: ToListThread) => {
  switch (message.type) {
    case 'list': {
      const { id, target, partition, budget } = message;
      budgets.set(clientKeyId(target), budget);
      const controller = new AbortController();
      running.set(id, controller);
      lister
        .listPart(target, partition, {
          signal: controller.signal,
          onPage: (instances) => post({ type: 'page', id, instances }),
        })
        .then(
          () => post({ type: 'done', id }),
          (error: unknown) => post({ type: 'failed', id, error: serializeError(error) }),
        )
        .finally(() => running.delete(id));
      return;
    }
    case 'credentials': {
      const request = credentialRequests.get(message.requestId);
      credentialRequests.delete(message.requestId);
      if (message.identity) request?.resolve(message.identity);
      else
        request?.reject(
          deserializeError(message.error ?? { name: 'Error', message: 'no credentials for a role' }),
        );
      return;
    }
    case 'abort':
      running.get(message.id)?.abort(new Error(message.reason));
      return;
  }
});
