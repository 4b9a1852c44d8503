/**
 * The public web service: on the cluster's EC2 capacity, spread across Availability Zones and
 * then instances, behind the load balancer on every path, with the article's health check
 * (every 12 s, HTTP 200 on `/health`) and CPU target tracking.
 */
import { defineService } from '../stacks/service/definition.ts';

export const web = defineService({
  name: 'web',
  capacity: { type: 'ec2', placement: { preset: 'azBalancedSpread' } },
  container: {
    image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/web:1.0.0',
    cpu: 512,
    memoryMiB: 1024,
    port: 8080,
    environment: { NODE_ENV: 'production', PORT: '8080' },
    secrets: { SESSION_SECRET: { ssmParameter: '/berth/web/session-secret' } },
    healthCheck: { command: ['CMD-SHELL', 'curl -fs http://localhost:8080/health || exit 1'], startPeriodSeconds: 30 },
  },
  role: {
    kind: 'web',
    route: { paths: ['/*'] },
    targetHealthCheck: { path: '/health', intervalSeconds: 12, matcher: '200' },
    healthCheckGracePeriodSeconds: 60,
    scaling: { minCount: 2, maxCount: 6, target: { metric: 'cpu', percent: 60 } },
  },
});
