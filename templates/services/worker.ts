/**
 * The queue worker: on Fargate, 70 % of its tasks on interruptible FARGATE_SPOT (a message whose
 * task is stopped returns to the queue after its visibility timeout), scaled on the backlog of
 * its own queue (`QUEUE_URL`).
 *
 * The image is the AWS CLI v2 from ECR Public (multi-arch, no credentials needed to pull), which
 * runs as any user on a read-only root filesystem: the loop below long-polls the queue and deletes
 * each message it receives, with the task role's credentials. `HOME` points at the writable `/tmp`
 * in case the CLI wants a cache. Replace the image and command with your worker.
 * https://gallery.ecr.aws/aws-cli/aws-cli, https://docs.aws.amazon.com/cli/latest/userguide/getting-started-docker.html
 */
import { defineService } from '../stacks/service/definition.ts';
import { jobs } from '../storage/jobs.ts';

export const worker = defineService({
  name: 'worker',
  capacity: { type: 'fargate', spotPercent: 70 },
  container: {
    image: 'public.ecr.aws/aws-cli/aws-cli:2.17.62',
    cpu: 256,
    memoryMiB: 512,
    entryPoint: ['sh', '-c'],
    command: [
      'while true; do ' +
        'aws sqs receive-message --queue-url "$QUEUE_URL" --wait-time-seconds 20 --max-number-of-messages 10 --query "Messages[].ReceiptHandle" --output text | tr "\\t" "\\n" | ' +
        'while read -r handle; do [ -n "$handle" ] && [ "$handle" != None ] && aws sqs delete-message --queue-url "$QUEUE_URL" --receipt-handle "$handle"; done; ' +
        'done',
    ],
    environment: { HOME: '/tmp', AWS_PAGER: '' },
  },
  uses: [jobs.readWrite],
  role: {
    kind: 'queueWorker',
    visibilityTimeoutSeconds: 300,
    maxReceiveCount: 5,
    scaling: { minCount: 1, maxCount: 4, messagesPerTask: 100 },
  },
});
