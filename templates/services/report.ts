/**
 * The nightly report: a scheduled task on Fargate, started by EventBridge Scheduler at 03:00 UTC.
 * No ECS service: each run is one task that exits when done.
 *
 * The image is BusyBox from the Docker official images on ECR Public (multi-arch, no credentials
 * or rate limit), which runs as any user on a read-only root filesystem: the command prints the
 * report date to the task's log and exits 0. Replace it with your job.
 * https://gallery.ecr.aws/docker/library/busybox
 */
import { defineService } from '../stacks/service/definition.ts';
import { reports } from '../storage/reports.ts';

export const report = defineService({
  name: 'report',
  capacity: { type: 'fargate' },
  container: {
    image: 'public.ecr.aws/docker/library/busybox:1.36.1',
    cpu: 512,
    memoryMiB: 1024,
    command: ['sh', '-c', 'echo "report for $(date -u +%F): done"'],
    environment: { TZ: 'UTC' },
  },
  uses: [reports.readWrite],
  role: { kind: 'scheduled', schedule: 'cron(0 3 * * ? *)', via: 'scheduler', timeZone: 'UTC' },
});
