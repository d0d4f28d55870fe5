// Entry of a listing thread (a worker_threads Worker of list-thread-pool.ts): DescribeInstances pages
// of the parts it is given, fetched and parsed here, sent back as slim observations.
import { parentPort, workerData } from 'node:worker_threads';
import { AwsClients, clientKeyId } from './aws/aws-clients.js';
import { createInThreadLister } from './sources/ec2/part-lister.js';
import {
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
const clients = new AwsClients({
  ...data.aws,
  record: (service, operation, outcome) => post({ type: 'aws', service, operation, outcome }),
  sharedBudget: (keyId) => budgets.get(keyId),
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
    case 'abort':
      running.get(message.id)?.abort(new Error(message.reason));
      return;
    case 'close':
      for (const controller of running.values()) controller.abort(new Error('shutting down'));
      clients.destroy();
      port.close();
      return;
  }
});
