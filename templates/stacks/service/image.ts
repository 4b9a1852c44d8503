/**
 * Container image references: parsed and checked when the service is built, and the pattern the
 * stack's `ImageUri` parameter accepts. Any registry works (ECR, ECR Public, Docker Hub, GitHub,
 * your own); a tag or a digest is required and `latest` is refused, because a moving tag makes
 * two deploys of the same template run different code, and ECS resolves it again on every task
 * start. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_image
 */
import { BerthError, q } from '../../../src/dsl/index.ts';

/** An image reference, parsed. */
export interface ImageReference {
  /** The registry host (with port), or `undefined` for Docker Hub's short form (`nginx:1.27`). */
  readonly registry?: string;
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<64 hex>` */
  readonly digest?: string;
  /** Set when the image is in a private ECR registry: the execution role may pull from it. */
  readonly ecr?: EcrRepository;
}

export interface EcrRepository {
  readonly account: string;
  readonly region: string;
  readonly repository: string;
  /** `<account>.dkr.ecr.<region>.amazonaws.com` */
  readonly registry: string;
}

// The distribution reference grammar, as Docker and ECS parse it:
// https://github.com/distribution/reference/blob/main/reference.go
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REGISTRY = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?';
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';
const REFERENCE = new RegExp(`^(?:(${REGISTRY})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);
/** Private ECR: https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html */
const ECR_REGISTRY = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/**
 * Parses `image`, throwing a located error unless it is a full reference with a tag or digest and
 * no `latest` tag. `where` names the definition or environment field it came from.
 */
export function checkImage(where: string, image: string): ImageReference {
  const m = REFERENCE.exec(image);
  if (!m) {
    throw new BerthError(
      where,
      `${q(image)} is not an image reference. Write \`[registry/]repository:tag\` or \`...@sha256:<digest>\` in lower case without spaces, such as \`public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine\` or \`111122223333.dkr.ecr.eu-west-1.amazonaws.com/web:1.4.2\`.`,
    );
  }
  // A first component without a dot, colon or `localhost` is a Docker Hub namespace, not a registry.
  const first = m[1];
  const isRegistry = first !== undefined && (/[.:]/.test(first) || first === 'localhost');
  const registry = isRegistry ? first : undefined;
  const repository = isRegistry ? m[2]! : first !== undefined ? `${first}/${m[2]!}` : m[2]!;
  const tag = m[3];
  const digest = m[4];
  if (tag === undefined && digest === undefined) {
    throw new BerthError(where, `${q(image)} has no tag or digest, so it means \`latest\`, whatever that is on the day a task starts. Pin a version tag (\`${image}:1.4.2\`) or a digest (\`${image}@sha256:...\`).`);
  }
  if (tag === 'latest' && digest === undefined) {
    throw new BerthError(where, `${q(image)} is tagged \`latest\`, which moves: two deploys of the same template could run different code. Pin a version tag or a digest.`);
  }
  if (registry !== undefined && /\.dkr\.ecr/.test(registry) && !ECR_REGISTRY.test(registry)) {
    throw new BerthError(where, `${q(image)} looks like an ECR image but its registry is not \`<account>.dkr.ecr.<region>.amazonaws.com\`. Fix the registry.`);
  }
  const e = registry !== undefined ? ECR_REGISTRY.exec(registry) : null;
  const ecr = e ? { account: e[1]!, region: e[2]!, repository, registry: registry! } : undefined;
  return { registry, repository, tag, digest, ecr };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * The `AllowedPattern` of the stack's image parameter (a Java regular expression, which
 * CloudFormation applies to the value; https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html).
 * With an ECR image the execution role may pull only from that repository, so the pattern pins
 * it; otherwise any registry except private ECR (whose pull the role would not be allowed),
 * always with a tag or digest and never `:latest` alone.
 */
export function imageParameterPattern(ref: ImageReference): string {
  const pinned = `(?::${TAG}|@${DIGEST}|:${TAG}@${DIGEST})`;
  if (ref.ecr) return `^(?!.*:latest$)${escapeRegExp(`${ref.ecr.registry}/${ref.repository}`)}${pinned}$`;
  return `^(?!.*:latest$)(?![0-9]{12}\\.dkr\\.ecr)(?:${REGISTRY}/)?${COMPONENT}(?:/${COMPONENT})*${pinned}$`;
}
