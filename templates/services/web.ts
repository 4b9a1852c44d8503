/**
 * The public web service: on the cluster's EC2 capacity, spread across Availability Zones and
 * then instances, behind the load balancer on every path, checked by the load balancer every
 * 12 s for HTTP 200 (the article's health check), scaled on CPU. It sends work to the worker's
 * queue (`WORKER_QUEUE_URL`).
 *
 * The image is NGINX's unprivileged build from ECR Public, chosen because it runs as berth runs
 * every container: as a non-root user (uid 101, `nginx`), listening on 8080 (no capability needed
 * to bind a port below 1024), with all Linux capabilities dropped and a read-only root filesystem
 * (its PID file and temporary files are in `/tmp`, a writable volume here). It is multi-arch
 * (x86_64 and arm64), so it runs on whichever instance types the cluster has, and ECR Public needs
 * no credentials and has no Docker Hub rate limit. Its default page answers `/` with 200.
 * https://gallery.ecr.aws/nginx/nginx-unprivileged, https://github.com/nginxinc/docker-nginx-unprivileged
 * Replace it with your application's image (prod does, in templates/environments/prod.json).
 */
import { defineService } from '../stacks/service/definition.ts';
import { appdb } from '../storage/appdb.ts';
import { worker } from './worker.ts';

export const web = defineService({
  name: 'web',
  capacity: { type: 'ec2', placement: { preset: 'azBalancedSpread' } },
  container: {
    image: 'public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine',
    cpu: 512,
    memoryMiB: 1024,
    port: 8080,
    user: '101',
    // Created by the stack with a random value, per environment: berth/<env>/web/session-secret.
    secrets: { SESSION_SECRET: { generated: {} } },
  },
  sendsTo: [worker.queue],
  uses: [appdb.connect],
  role: {
    kind: 'web',
    route: { paths: ['/*'] },
    targetHealthCheck: { path: '/', intervalSeconds: 12, matcher: '200' },
    healthCheckGracePeriodSeconds: 60,
    scaling: { minCount: 2, maxCount: 6, target: { metric: 'cpu', percent: 60 } },
  },
});
