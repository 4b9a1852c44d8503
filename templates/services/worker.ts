/**
 * The queue worker: on Fargate, 70 % of its tasks on interruptible FARGATE_SPOT (a message whose
 * task is stopped returns to the queue after its visibility timeout), scaled on the backlog of
 * its own queue.
 */
import { defineService } from '../stacks/service/definition.ts';

export const worker = defineService({
  name: 'worker',
  capacity: { type: 'fargate', spotPercent: 70 },
  container: {
    image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/worker:1.0.0',
    cpu: 256,
    memoryMiB: 512,
    command: ['node', 'worker.js'],
    environment: { NODE_ENV: 'production' },
  },
  role: {
    kind: 'queueWorker',
    visibilityTimeoutSeconds: 300,
    maxReceiveCount: 5,
    scaling: { minCount: 1, maxCount: 4, messagesPerTask: 100 },
  },
});
