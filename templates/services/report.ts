/**
 * The nightly report: a scheduled task on Fargate, started by EventBridge Scheduler at 03:00 UTC.
 * No ECS service: each run is one task that exits when done.
 */
import { defineService } from '../stacks/service/definition.ts';

export const report = defineService({
  name: 'report',
  capacity: { type: 'fargate' },
  container: {
    image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/report:1.0.0',
    cpu: 512,
    memoryMiB: 1024,
    command: ['node', 'report.js'],
    environment: { NODE_ENV: 'production' },
  },
  role: { kind: 'scheduled', schedule: 'cron(0 3 * * ? *)', via: 'scheduler', timeZone: 'UTC' },
});
