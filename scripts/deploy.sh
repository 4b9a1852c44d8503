#!/usr/bin/env bash
# Deploys one environment's templates from output/<env>/ with the AWS CLI: checks, packages to S3,
# then `aws cloudformation deploy` with live stack events, or a change-set preview. Run
# `scripts/deploy.sh --help` (or `make deploy ENV=dev`, `make publish ENV=dev`).
set -euo pipefail
# Byte-order globs and sorts: the content hash of output/<env>/ must not depend on the locale.
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

usage() {
  cat <<'EOF'
Usage: scripts/deploy.sh <env> [options]

Deploys output/<env>/ to CloudFormation: a preflight checks the flags, the parameters and the
account first (scripts/preflight.ts: Region, credentials, stack state, service-linked roles,
hosted zone, certificate, images, secrets), then it refuses stale output or output that fails the
lint gates, packages the templates to S3 under a content-addressed prefix, and deploys with a
change set it creates and executes, with the template's alarms as CloudFormation rollback
triggers (scripts/deploy-triggers.ts), and live events. With --delete it tears the stack down.

Options:
  --template NAME    deploy one template of output/<env>/ as its own stack (network,
                     load-balancer, cluster, service-<name>, service-catalog, launch-role);
                     default: root, the whole estate with its nested stacks. `service-catalog`
                     also uploads the product templates it publishes (what `make publish`
                     runs); `launch-role` is its launch role for member accounts.
  --stack-name N     default: berth-<env> for root, berth-<env>-<template> otherwise
  --bucket B         S3 bucket for packaged templates, created if missing (encrypted,
                     versioned, public access blocked); default: berth-<account>-<region>
  --prefix P         key prefix in the bucket; default: berth (keys: P/<env>/<hash>/...)
  --region R         deploy to R; default: the environment file's region. AWS_REGION,
                     AWS_DEFAULT_REGION or a profile Region that differs is refused.
  --param KEY=VALUE  a parameter value (repeatable; one line, no control characters).
                     Parameters not given take the template's default, so the stack always
                     matches output/; parameters without a default keep the stack's previous value.
  --preview          create a change set (nested stacks included), print every change and the
                     alarms that would guard the deploy, delete it; nothing is executed
  --no-rollback-triggers
                     deploy without the template's rollback triggers (an emergency fix while a
                     trigger flaps; a trigger already in ALARM is left out anyway)
  --delete           delete the stack (with --template, that one layer) with live events, after
                     saying what blocks it; ends with the retained resources and how to remove them
  --layers           deploy the estate as layers: the foundation (alarm topic, network, load
                     balancer, cluster) as stack berth-<env>-foundation, then each service
                     template of root.yaml as its own stack, wired with the foundation's outputs,
                     then the overview (dashboard, deploy guard). Automatic when root.yaml
                     cannot be deployed in one operation (more than 2,500 resources with its
                     nested stacks: docs/many-accounts.md); with --delete, in reverse order
  --drift            detect drift (what changed outside CloudFormation) on the stack and every stack
                     it nests (every layer of an estate in layers), or with --stack-set on every
                     instance of the stack set; prints each drifted resource and property, exits
                     1 when anything drifted (scripts/drift.ts)
  --share-with NODE  with --template service-catalog (`make publish SHARE=...`): once the portfolio
                     is deployed, share it with NODE: `organization`, an organisation ID (o-...),
                     an organisational unit (ou-...) or a member account (12 digits); repeatable.
                     TagOptions are shared, the template bucket is made readable by the
                     organisation (scripts/portfolio-share.ts, docs/many-accounts.md)
  --stack-set        roll the template out as the stack set berth-<env> to the accounts and Regions
                     of the settings' `targets` (scripts/stackset.ts, docs/many-accounts.md), with
                     live per-instance progress; with --preview, show what would change where
  -h, --help         show this help

Environment: AWS_ENDPOINT_URL (e.g. a local moto server), AWS_PROFILE and the usual AWS
credentials, BERTH_POLL_SECONDS (event polling interval, default 5), BERTH_TIMEOUT_MINUTES
(longest wait for a deploy or delete, default 90), BERTH_AWS_WORKERS (AWS CLI processes per
helper, 1-8, default 3), NO_COLOR.
EOF
}

# ---------------------------------------------------------------------------------------------
# output

if [[ -t 1 && -z ${NO_COLOR:-} ]]; then
  RED=$'\e[31m' GREEN=$'\e[32m' YELLOW=$'\e[33m' BOLD=$'\e[1m' DIM=$'\e[2m' RESET=$'\e[0m'
else
  RED='' GREEN='' YELLOW='' BOLD='' DIM='' RESET=''
fi

step() { printf '%s==>%s %s\n' "$BOLD" "$RESET" "$*"; }
pass() { printf '%s[pass]%s %s\n' "$GREEN" "$RESET" "$*"; }
fail() { printf '%s[fail]%s %s\n' "$RED" "$RESET" "$*"; }
# die MESSAGE [EXIT]: one line saying what is wrong and how to fix it.
die() {
  printf 'error: %s\n' "$1" >&2
  exit "${2:-1}"
}
usage_error() { die "$1 Run \`scripts/deploy.sh --help\` for the options." 2; }

# ---------------------------------------------------------------------------------------------
# arguments

ENV_NAME='' TEMPLATE=root STACK_NAME='' BUCKET='' PREFIX=berth REGION='' PREVIEW=0 DELETE=0 STACK_SET=0 TRIGGERS=1 LAYERS=0 DRIFT=0
PARAMS=()
SHARES=()

# need_value FLAG WHAT EXAMPLE [VALUE]: the flag's value is present and is not another flag.
need_value() {
  if [[ $# -lt 4 || -z $4 || $4 == --* ]]; then
    usage_error "\`$1\` needs a value: $2, e.g. \`$1 $3\`."
  fi
}

while (($#)); do
  # --flag=value is --flag value.
  if [[ $1 == --*=* ]]; then set -- "${1%%=*}" "${1#*=}" "${@:2}"; fi
  case $1 in
    -h | --help) usage; exit 0 ;;
    --template) need_value "$1" 'a template name from output/<env>/ without .yaml' network "${2-}"; TEMPLATE=$2; shift 2 ;;
    --stack-name) need_value "$1" 'a CloudFormation stack name' berth-dev-network "${2-}"; STACK_NAME=$2; shift 2 ;;
    --bucket) need_value "$1" 'an S3 bucket name' my-templates-bucket "${2-}"; BUCKET=$2; shift 2 ;;
    --prefix) need_value "$1" 'an S3 key prefix' berth "${2-}"; PREFIX=$2; shift 2 ;;
    --region) need_value "$1" 'an AWS Region' eu-west-1 "${2-}"; REGION=$2; shift 2 ;;
    --param)
      need_value "$1" 'KEY=VALUE' DesiredCount=2 "${2-}"
      [[ $2 == ?*=* ]] || usage_error "\`--param $2\`: expected KEY=VALUE, e.g. \`--param DesiredCount=2\`."
      PARAMS+=("$2"); shift 2 ;;
    --preview) PREVIEW=1; shift ;;
    --delete) DELETE=1; shift ;;
    --no-rollback-triggers) TRIGGERS=0; shift ;;
    --stack-set) STACK_SET=1; shift ;;
    --layers) LAYERS=1; shift ;;
    --drift) DRIFT=1; shift ;;
    --share-with)
      need_value "$1" 'organization, an organisation ID, an organisational unit ID or an account ID' ou-ab12-cd345678 "${2-}"
      # AWS Organizations' ID patterns. https://docs.aws.amazon.com/organizations/latest/APIReference/API_OrganizationalUnit.html
      [[ $2 =~ ^(organi[sz]ation|o-[a-z0-9]{10,32}|ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|[0-9]{12})$ ]] ||
        usage_error "\`--share-with $2\`: expected \`organization\`, an organisation ID (o-a1b2c3d4e5), an organisational unit ID (ou-ab12-cd345678) or a member account ID (12 digits)."
      SHARES+=("$2"); shift 2 ;;
    -*) usage_error "unknown option \`$1\`." ;;
    *)
      [[ -z $ENV_NAME ]] || usage_error "unexpected argument \`$1\`: the environment is already \`$ENV_NAME\` (one environment per deploy)."
      ENV_NAME=$1; shift ;;
  esac
done

((!PREVIEW || !DELETE)) || usage_error '`--preview` and `--delete` exclude each other.'
((!STACK_SET || !DELETE)) || usage_error '`--stack-set` and `--delete` exclude each other: delete stack instances with `aws cloudformation delete-stack-instances` (docs/many-accounts.md).'
((!DRIFT || !(PREVIEW || DELETE))) || usage_error '`--drift` only reads: it excludes `--preview` and `--delete`.'
((!LAYERS || !STACK_SET)) || usage_error '`--layers` and `--stack-set` exclude each other: a stack set rolls out one template (`--template foundation`, then each layer, docs/many-accounts.md).'
((!LAYERS)) || [[ $TEMPLATE == root ]] || usage_error "\`--layers\` deploys the whole estate, and \`--template $TEMPLATE\` names one template. Leave one of them out."
known_environments() { (cd output && ls -d -- */ 2>/dev/null | tr -d / | tr '\n' ' ' | sed 's/ $//'); }
[[ -n $ENV_NAME ]] || usage_error "no environment given: \`scripts/deploy.sh <env>\` with one of: $(known_environments)."
[[ -d output/$ENV_NAME && -f templates/environments/$ENV_NAME.json ]] ||
  usage_error "unknown environment \`$ENV_NAME\`: expected one of $(known_environments) (templates/environments/<env>.json, built into output/<env>/)."
TEMPLATE=${TEMPLATE%.yaml}
if ((${#SHARES[@]})); then
  [[ $TEMPLATE == service-catalog ]] || usage_error "\`--share-with\` shares the Service Catalog portfolio: use it with \`--template service-catalog\` (\`make publish\`), not \`--template $TEMPLATE\`."
  ((!DELETE && !DRIFT && !STACK_SET)) || usage_error '`--share-with` publishes: it excludes `--delete`, `--drift` and `--stack-set`.'
fi
if [[ ! -f output/$ENV_NAME/$TEMPLATE.yaml ]]; then
  usage_error "\`--template $TEMPLATE\`: output/$ENV_NAME/ has no $TEMPLATE.yaml; expected one of $(cd "output/$ENV_NAME" && ls -- *.yaml | sed 's/\.yaml$//' | tr '\n' ' ' | sed 's/ $//')."
fi
if [[ -z $STACK_NAME ]]; then
  if [[ $TEMPLATE == root ]]; then STACK_NAME=berth-$ENV_NAME; else STACK_NAME=berth-$ENV_NAME-$TEMPLATE; fi
fi
# https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html (StackName)
[[ $STACK_NAME =~ ^[A-Za-z][A-Za-z0-9-]{0,127}$ ]] ||
  usage_error "\`--stack-name $STACK_NAME\`: expected a letter, then letters, digits and hyphens, up to 128 characters."
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
[[ -z $BUCKET || $BUCKET =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] ||
  usage_error "\`--bucket $BUCKET\`: expected an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)."
[[ $PREFIX =~ ^[A-Za-z0-9!_.*\'()-]+(/[A-Za-z0-9!_.*\'()-]+)*$ ]] ||
  usage_error "\`--prefix $PREFIX\`: expected an S3 key prefix without leading or trailing slash, e.g. \`--prefix berth\`."

command -v node >/dev/null || die "node is not installed or not on PATH. Install Node 20 (berth's build and checks run on it)."
# Read by the helpers (scripts/deploy-aws.ts), checked here so a typo fails before any of them runs.
[[ -z ${BERTH_AWS_WORKERS:-} || $BERTH_AWS_WORKERS =~ ^[1-8]$ ]] ||
  usage_error "\`BERTH_AWS_WORKERS=$BERTH_AWS_WORKERS\`: expected a whole number of AWS CLI processes per helper from 1 to 8, or unset for 3."

# tool scripts/<helper>.ts ARGS...: one of berth's TypeScript helpers. `make build` compiles them
# into dist/ (scripts/bundle.ts), where each starts in about a third of the CPU time of
# `node --import tsx`; dist/tools.cjs runs the compiled helper only while the sources compiled
# into it are unchanged, and the source otherwise, so an edited helper runs as written.
tool() {
  if [[ -f $ROOT/dist/tools.cjs ]]; then node "$ROOT/dist/tools.cjs" "$@"; else node --import tsx "$@"; fi
}

# An explicit --region is checked here; the Region from the environment (AWS_REGION, the profile)
# or the settings is chosen and checked by the preflight, which names where it came from.
[[ -z $REGION || $REGION =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || usage_error "\`--region $REGION\`: expected an AWS Region such as eu-west-1."

# ---------------------------------------------------------------------------------------------
# the AWS CLI and credentials, checked before any work

if [[ -x $ROOT/.venv/bin/aws ]]; then
  AWS=$ROOT/.venv/bin/aws
elif command -v aws >/dev/null; then
  AWS=$(command -v aws)
else
  die "the AWS CLI (\`aws\`) is not installed. Run \`make install\` (it installs the pinned awscli into .venv/), or install the AWS CLI and put it on PATH."
fi

# ---------------------------------------------------------------------------------------------
# An estate in layers (scripts/deploy-layers.ts): when root.yaml's tree passes the 2,500 resources
# of one stack operation, or with --layers, the foundation, each service template of the root and
# the overview (dashboard and deploy guard) deploy as stacks of their own, each by a run of this
# script, the services wired with the foundation stack's outputs, the overview with theirs. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html

if [[ $TEMPLATE == root ]] && ((!STACK_SET)); then
  PLAN_ARGS=(plan "$ENV_NAME")
  ((!LAYERS)) || PLAN_ARGS+=(--layers)
  PLAN=$(tool scripts/deploy-layers.ts "${PLAN_ARGS[@]}") || exit
  mapfile -t LAYER_LIST <<<"$PLAN"
fi
# --drift: drift detection on the stack and its nested stacks, every layer's, or the stack set's instances.
if ((DRIFT)); then
  DRIFT_ARGS=("$ENV_NAME")
  [[ -z $REGION ]] || DRIFT_ARGS+=(--region "$REGION")
  if ((STACK_SET)); then
    DRIFT_ARGS+=(--stack-set --template "$TEMPLATE")
  elif [[ $TEMPLATE == root && ${LAYER_LIST[0]:-root} != root ]]; then
    for layer in "${LAYER_LIST[@]}"; do DRIFT_ARGS+=(--stack-name "berth-$ENV_NAME-$layer"); done
  else
    DRIFT_ARGS+=(--stack-name "$STACK_NAME")
  fi
  BERTH_AWS_CLI=$AWS tool scripts/drift.ts "${DRIFT_ARGS[@]}"
  exit $?
fi

if [[ $TEMPLATE == root && ${LAYER_LIST[0]:-root} != root ]] && ((!STACK_SET)); then
  [[ $STACK_NAME == "berth-$ENV_NAME" ]] || usage_error "\`--stack-name\` names one stack, and output/$ENV_NAME/ deploys in layers (stacks berth-$ENV_NAME-<layer>). Leave it out, or deploy one template with \`--template\`."
  ((LAYERS)) || step "output/$ENV_NAME/root.yaml is past the 2,500 resources of one stack operation: deploying it in ${#LAYER_LIST[@]} layers (docs/many-accounts.md)"
  LAYER_ARGS=()
  [[ -z $REGION ]] || LAYER_ARGS+=(--region "$REGION")
  [[ -z $BUCKET ]] || LAYER_ARGS+=(--bucket "$BUCKET")
  [[ $PREFIX == berth ]] || LAYER_ARGS+=(--prefix "$PREFIX")
  for p in "${PARAMS[@]+"${PARAMS[@]}"}"; do LAYER_ARGS+=(--param "$p"); done
  ((!PREVIEW)) || LAYER_ARGS+=(--preview)
  ((!DELETE)) || LAYER_ARGS+=(--delete)
  FOUNDATION_STACK=berth-$ENV_NAME-foundation
  ORDER=("${LAYER_LIST[@]}")
  if ((DELETE)); then
    ORDER=()
    for ((i = ${#LAYER_LIST[@]} - 1; i >= 0; i--)); do ORDER+=("${LAYER_LIST[i]}"); done
  else
    BERTH_AWS_CLI=$AWS tool scripts/deploy-layers.ts guard "$ENV_NAME" --stack-name "berth-$ENV_NAME" ${REGION:+--region "$REGION"} || exit
  fi
  DONE=0
  for layer in "${ORDER[@]}"; do
    WIRES=()
    if [[ $layer != foundation ]] && ((!DELETE)); then
      if ! WIRED=$(BERTH_AWS_CLI=$AWS tool scripts/deploy-layers.ts wiring "$ENV_NAME" --template "$layer" --stack-name "$FOUNDATION_STACK" ${REGION:+--region "$REGION"}); then
        ((PREVIEW)) && { pass "preview of the foundation only: the other layers are previewed once stack $FOUNDATION_STACK exists"; exit 0; }
        exit 1
      fi
      while IFS= read -r wire; do [[ -z $wire ]] || WIRES+=(--param "$wire"); done <<<"$WIRED"
    fi
    # The foundation leaves the dashboard to the last layer, overview.yaml, which draws it with the services.
    [[ $layer != foundation ]] || ((DELETE)) || WIRES+=(--param DrawDashboard=false)
    step "layer $((DONE + 1)) of ${#ORDER[@]}: $layer"
    if ! bash "$ROOT/scripts/deploy.sh" "$ENV_NAME" --template "$layer" "${LAYER_ARGS[@]+"${LAYER_ARGS[@]}"}" "${WIRES[@]+"${WIRES[@]}"}"; then
      fail "layer $layer of $ENV_NAME failed; the $DONE layer(s) before it are done. Fix what it names and run the same command again: done layers show no changes."
      exit 1
    fi
    DONE=$((DONE + 1))
  done
  DID=deployed
  ((!PREVIEW)) || DID=previewed
  ((!DELETE)) || DID=deleted
  pass "$ENV_NAME: ${#ORDER[@]} layers $DID (${ORDER[*]})"
  exit 0
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/berth-deploy.XXXXXX")
CLEANUP=()
cleanup() {
  local c
  for c in "${CLEANUP[@]+"${CLEANUP[@]}"}"; do eval "$c" >/dev/null 2>&1 || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The AWS CLI as one long-lived process (scripts/deploy-awscli.py --files, the CLI's own driver:
# the same credentials, retries and output as `aws`), so the calls below do not each pay its
# start-up, about 0.5 s of CPU. Only for the Python AWS CLI of .venv, which the driver imports,
# and where flock(1) can keep concurrent calls (the nested stacks' events) apart; otherwise, or
# for an argument holding a line break, every call runs its own `aws`. It starts before the
# preflight, which makes its calls through it too (BERTH_AWS_DRIVER, src/cli/aws.ts): bash waits
# for the preflight, so no other call runs meanwhile. It imports the CLI at its first call (a
# preflight that stops on its flags costs nothing more), and is stopped on exit: a process this
# script starts (a gate server) inherits the write end of aws.in, and would keep it running.
AWSD=0
if [[ $AWS == "$ROOT/.venv/bin/aws" && -x $ROOT/.venv/bin/python ]] && command -v flock >/dev/null && head -n 1 "$AWS" | grep -q python; then
  mkfifo "$TMP/aws.in" "$TMP/aws.out"
  "$ROOT/.venv/bin/python" "$ROOT/scripts/deploy-awscli.py" --files <"$TMP/aws.in" >"$TMP/aws.out" &
  CLEANUP+=("kill $!")
  exec 41>"$TMP/aws.in" 42<"$TMP/aws.out"
  AWSD=1
fi
# aws_ ARGS...: `"$AWS" ARGS...`, through the long-lived CLI where there is one. That process
# started before the preflight chose the Region (exported below as AWS_REGION), so each call
# through it names the Region, unless it names one itself: `--region` overrides the environment
# and the profile for that call (https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-envvars.html).
aws_() {
  if ((!AWSD)) || [[ $* == *$'\n'* ]]; then "$AWS" "$@"; return; fi
  local out=$TMP/aws.$BASHPID.out err=$TMP/aws.$BASHPID.err status='' a region=()
  [[ -z $REGION ]] || region=(--region "$REGION")
  for a in "$@"; do [[ $a != --region && $a != --region=* ]] || region=(); done
  {
    flock 9
    printf '%s\0' "$out" "$err" "$@" "${region[@]}" >&41
    printf '\n' >&41
    read -r status <&42 || true
  } 9>"$TMP/aws.lock"
  [[ $status =~ ^[0-9]+$ ]] || { "$AWS" "$@"; return; }
  [[ ! -f $out ]] || cat "$out"
  [[ ! -f $err ]] || cat "$err" >&2
  rm -f "$out" "$err"
  return "$status"
}

# The preflight: flags, parameters and example values offline, then credentials, the stack's state,
# what the templates need from the account and whether output/ is stale (scripts/preflight.ts).
# Its problems are printed one per line; it exits 2 for flags and parameters, 1 otherwise.
PREFLIGHT=(--template "$TEMPLATE" --stack-name "$STACK_NAME" --out "$TMP" --prefix "$PREFIX")
[[ -z $REGION ]] || PREFLIGHT+=(--region "$REGION")
[[ -z $BUCKET ]] || PREFLIGHT+=(--bucket "$BUCKET")
if ((DELETE)); then PREFLIGHT+=(--mode delete); elif ((PREVIEW)); then PREFLIGHT+=(--mode preview); fi
((!STACK_SET)) || PREFLIGHT+=(--stack-set)
for p in "${PARAMS[@]+"${PARAMS[@]}"}"; do PREFLIGHT+=(--param "$p"); done
step "preflight: $ENV_NAME/$TEMPLATE.yaml -> stack $STACK_NAME"
if BERTH_AWS_CLI=$AWS BERTH_AWS_DRIVER=$( ((!AWSD)) || echo "41 42 $TMP") tool scripts/preflight.ts "$ENV_NAME" "${PREFLIGHT[@]}"; then :; else exit $?; fi
# shellcheck source=/dev/null
source "$TMP/preflight.env" # ACCOUNT PARTITION REGION REGION_SOURCE STATUS BUCKET
export AWS_REGION=$REGION AWS_DEFAULT_REGION=$REGION
ENDPOINT=${AWS_ENDPOINT_URL:-}

step "$ENV_NAME/$TEMPLATE.yaml -> stack $STACK_NAME (account $ACCOUNT, $REGION from $REGION_SOURCE${ENDPOINT:+, endpoint $ENDPOINT})"

delete_command() { printf 'aws cloudformation delete-stack --stack-name %s --region %s' "$STACK_NAME" "$REGION"; }
stack_status() { aws_ cloudformation describe-stacks --stack-name "$1" --query 'Stacks[0].StackStatus' --output text 2>/dev/null || true; }
EXISTING=0
[[ -z $STATUS || $STATUS == REVIEW_IN_PROGRESS ]] || EXISTING=1
SOURCE=output/$ENV_NAME/$TEMPLATE.yaml

# ---------------------------------------------------------------------------------------------
# the events of the stack and its nested stacks as they arrive (deploy and delete)

SEEN=$TMP/seen          # event IDs already printed (or there before the deploy)
NEW=$TMP/new-events     # this deploy's events: "stack<TAB>time<TAB>id<TAB>type<TAB>status<TAB>reason"
NESTED=$TMP/nested      # "logical ID<TAB>physical ID" of the nested stacks
FLUSHED=$TMP/flushed    # nested stacks read after they finished
: >"$SEEN"; : >"$NEW"; : >"$NESTED"; : >"$FLUSHED"

# events STACK-ID LABEL: prints the stack's unseen events (newest first, as the API returns them).
events() {
  aws_ cloudformation describe-stack-events --stack-name "$1" --no-paginate --output text \
    --query 'StackEvents[].[EventId,Timestamp,LogicalResourceId,ResourceType,ResourceStatus,ResourceStatusReason]' 2>/dev/null |
    while IFS=$'\t' read -r id time logical type status reason; do
      grep -qxF -- "$id" "$SEEN" && continue
      printf '%s\n' "$id" >>"$SEEN"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$2" "$time" "$logical" "$type" "$status" "$reason"
    done || true # the stack does not exist until the change set does
}

# Nested stacks get their physical ID (an ARN) once CloudFormation starts creating them.
discover_nested() {
  aws_ cloudformation list-stack-resources --stack-name "$STACK_NAME" --output text \
    --query "StackResourceSummaries[?ResourceType=='AWS::CloudFormation::Stack'].[LogicalResourceId,PhysicalResourceId]" 2>/dev/null |
    awk -F '\t' '$2 ~ /^arn:/' >"$NESTED.tmp" || true
  mv "$NESTED.tmp" "$NESTED"
}

show() {
  local label time logical type status reason colour
  while IFS=$'\t' read -r label time logical type status reason; do
    case $status in *FAILED) colour=$RED ;; *ROLLBACK* | DELETE*) colour=$YELLOW ;; *COMPLETE) colour=$GREEN ;; *) colour='' ;; esac
    [[ $reason != None ]] || reason=''
    printf '  %s%s%s  %-24s %s%-36s%s %-40s %s\n' "$DIM" "${time:11:8}" "$RESET" "$label" "$colour" "$status" "$RESET" "$logical" "$reason"
  done
}

# latest_status LOGICAL-ID BATCH: the newest status of a nested stack in the root's events.
latest_status() {
  {
    awk -F '\t' -v r="$STACK_NAME" -v l="$1" '$1 == r && $3 == l { print $5; exit }' "$2" # newest first
    awk -F '\t' -v r="$STACK_NAME" -v l="$1" '$1 == r && $3 == l { s = $5 } END { print s }' "$NEW"
  } | grep -m 1 . || true
}

# poll [all]: the root's new events, then those of each nested stack that is in progress or has
# not been read since it finished (every nested stack with `all`), fetched concurrently; printed
# in time order.
poll() {
  local batch=$TMP/batch logical arn status jobs=()
  events "$STACK_NAME" "$STACK_NAME" >"$batch"
  ((HAS_NESTED)) && discover_nested
  while IFS=$'\t' read -r logical arn; do
    status=$(latest_status "$logical" "$batch")
    if [[ ${1-} == all || -z $status || $status == *_IN_PROGRESS ]] || ! grep -qxF -- "$logical" "$FLUSHED"; then
      events "$arn" "$logical" >"$batch.$logical" &
      jobs+=($!)
      # Once finished, one more read catches its last events; a later *_IN_PROGRESS reopens it.
      if [[ -n $status && $status != *_IN_PROGRESS ]]; then
        printf '%s\n' "$logical" >>"$FLUSHED"
      else
        { grep -vxF -- "$logical" "$FLUSHED" || true; } >"$FLUSHED.tmp" && mv "$FLUSHED.tmp" "$FLUSHED"
      fi
    fi
  done <"$NESTED"
  ((${#jobs[@]} == 0)) || wait "${jobs[@]}"
  cat "$batch"* 2>/dev/null | sort -t $'\t' -k 2,2 | tee -a "$NEW" | show
  rm -f "$batch"*
}

HAS_NESTED=0
if grep -q 'Type: AWS::CloudFormation::Stack$' "$SOURCE"; then HAS_NESTED=1; fi

# ---------------------------------------------------------------------------------------------
# --delete: what blocks it first, then the delete with live events, then what it left behind

if ((DELETE)); then
  [[ -n $STATUS ]] || { pass "stack $STACK_NAME does not exist in $REGION: nothing to delete"; exit 0; }
  if BERTH_AWS_CLI=$AWS tool scripts/deploy-teardown.ts "$ENV_NAME" --template "$TEMPLATE" --stack-name "$STACK_NAME" --region "$REGION" --out "$TMP"; then :; else exit $?; fi
  poll all >/dev/null; : >"$NEW"; : >"$FLUSHED"
  step "deleting stack $STACK_NAME (events as they arrive)"
  SECONDS=0
  LIMIT=$((${BERTH_TIMEOUT_MINUTES:-90} * 60))
  if ! aws_ cloudformation delete-stack --stack-name "$STACK_NAME" 2>"$TMP/delete.err"; then
    die "CloudFormation refused to delete stack $STACK_NAME: $(grep -v '^\s*$' "$TMP/delete.err" | head -n 1)"
  fi
  while :; do
    sleep "${BERTH_POLL_SECONDS:-5}"
    poll
    STATUS=$(stack_status "$STACK_NAME")
    [[ $STATUS == DELETE_IN_PROGRESS ]] || break
    if ((SECONDS > LIMIT)); then
      fail "stack $STACK_NAME: still DELETE_IN_PROGRESS after ${BERTH_TIMEOUT_MINUTES:-90} minutes (BERTH_TIMEOUT_MINUTES); stopped watching. CloudFormation carries on: aws cloudformation describe-stack-events --stack-name $STACK_NAME --region $REGION"
      exit 1
    fi
  done
  ELAPSED=$(printf '%dm %02ds' $((SECONDS / 60)) $((SECONDS % 60)))
  if [[ -n $STATUS && $STATUS != DELETE_COMPLETE ]]; then
    fail "stack $STACK_NAME: $STATUS after $ELAPSED"
    if grep -q 'FAILED' "$NEW"; then
      printf '%s\n' "Failed events (stack, logical ID, status, reason):"
      awk -F '\t' '$5 ~ /FAILED$/' "$NEW" | sort -t $'\t' -k 2,2 | show
    fi
    again="scripts/deploy.sh $ENV_NAME"
    [[ $TEMPLATE == root ]] || again+=" --template $TEMPLATE"
    printf '%s\n' "Fix what the failed events name, then delete again: $again --delete"
    exit 1
  fi
  pass "stack $STACK_NAME deleted in $ELAPSED"
  if [[ -s $TMP/retained.tsv ]]; then
    printf '%s\n' "Kept by their DeletionPolicy (they hold data); each with the command that removes it:"
    while IFS=$'\t' read -r type id command; do printf '  %-28s %s\n    %s\n' "$type" "$id" "$command"; done <"$TMP/retained.tsv"
  else
    printf '%s\n' "Nothing of the stack was retained."
  fi
  printf '%s\n' "The template bucket s3://$BUCKET (scripts/deploy.sh created it, shared by every environment of the account and Region) is kept; remove it when nothing uses it."
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# refuse stale or failing output

sha256() { if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi | cut -d ' ' -f 1; }
# Content hash of the environment's output: names and bytes of every file.
HASH=$(for f in "output/$ENV_NAME"/*.yaml; do printf '%s\n' "${f##*/}"; cat "$f"; done | sha256)
VERSION=${HASH:0:12}

pass "output/$ENV_NAME/ is up to date"

# scripts/lint/main.ts answers an output it has linted before (same templates, allow-list, settings
# and gate versions) from its last run, so repeated deploys pay the gates once.
if ! tool scripts/lint/main.ts "output/$ENV_NAME" >"$TMP/lint.out" 2>&1; then
  cat "$TMP/lint.out"
  die "refusing to deploy: the lint gates fail on output/$ENV_NAME/ (above). Fix the findings (\`make lint\`), rebuild, then deploy again."
fi
sed 's/^/    /' "$TMP/lint.out"
pass "lint gates"

# ---------------------------------------------------------------------------------------------
# S3: the bucket, and the packaged templates under a content-addressed prefix

ensure_bucket() {
  if aws_ s3api head-bucket --bucket "$BUCKET" >/dev/null 2>"$TMP/head.err"; then return; fi
  if grep -q '403\|Forbidden' "$TMP/head.err"; then
    die "bucket \`$BUCKET\` exists but account $ACCOUNT cannot use it (403). Choose another with \`--bucket\`."
  fi
  grep -q '404\|Not Found' "$TMP/head.err" || die "cannot check bucket \`$BUCKET\`: $(head -n 1 "$TMP/head.err")"
  step "creating bucket s3://$BUCKET (encrypted, versioned, public access blocked)"
  local location=()
  # us-east-1 takes no LocationConstraint. https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
  [[ $REGION == us-east-1 ]] || location=(--create-bucket-configuration "LocationConstraint=$REGION")
  aws_ s3api create-bucket --bucket "$BUCKET" "${location[@]+"${location[@]}"}" >/dev/null
  aws_ s3api put-public-access-block --bucket "$BUCKET" \
    --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
  aws_ s3api put-bucket-encryption --bucket "$BUCKET" \
    --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"},"BucketKeyEnabled":true}]}'
  aws_ s3api put-bucket-versioning --bucket "$BUCKET" --versioning-configuration Status=Enabled
  # Templates are read over TLS only. (Not through a plain-http endpoint such as a local moto
  # server: every request there would be denied.)
  [[ $ENDPOINT == http://* ]] || aws_ s3api put-bucket-policy --bucket "$BUCKET" --policy "$(printf '{"Version":"2012-10-17","Statement":[{"Sid":"TlsOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:%s:s3:::%s","arn:%s:s3:::%s/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}' "$PARTITION" "$BUCKET" "$PARTITION" "$BUCKET")"
}

# The HTTPS URL of an object: path style through a custom endpoint, virtual-hosted on AWS.
object_url() {
  if [[ -n $ENDPOINT ]]; then printf '%s/%s/%s\n' "${ENDPOINT%/}" "$BUCKET" "$1"; else printf 'https://%s.s3.%s.amazonaws.com/%s\n' "$BUCKET" "$REGION" "$1"; fi
}

# package NAME KEY [OUT]: packages output/<env>/NAME.yaml (nested templates go to KEY/<md5>.template
# and TemplateURLs are rewritten) into OUT (default $TMP/NAME.yaml).
package() {
  if ! aws_ cloudformation package --template-file "output/$ENV_NAME/$1.yaml" --s3-bucket "$BUCKET" --s3-prefix "$2" \
    --output-template-file "${3:-$TMP/$1.yaml}" >"$TMP/package.out" 2>&1; then
    cat "$TMP/package.out" >&2
    die "\`aws cloudformation package\` failed for output/$ENV_NAME/$1.yaml (above)."
  fi
}

ensure_bucket
KEY=$PREFIX/$ENV_NAME/$VERSION
package "$TEMPLATE" "$KEY"
# A template body over 51,200 bytes must go through S3. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
BODY=(--template-body "file://$TMP/$TEMPLATE.yaml")
if (($(wc -c <"$TMP/$TEMPLATE.yaml") > 51200)); then
  aws_ s3 cp "$TMP/$TEMPLATE.yaml" "s3://$BUCKET/$KEY/$TEMPLATE.yaml" --only-show-errors
  BODY=(--template-url "$(object_url "$KEY/$TEMPLATE.yaml")")
fi
pass "packaged output/$ENV_NAME/$TEMPLATE.yaml (artifacts under s3://$BUCKET/$KEY/)"

# --stack-set: the packaged template rolled out to the settings' targets (scripts/stackset.ts).
if ((STACK_SET)); then
  SS=("$ENV_NAME" --template "$TEMPLATE" --template-file "$TMP/$TEMPLATE.yaml" --region "$REGION" --bucket "$BUCKET" --key-prefix "$PREFIX/$ENV_NAME")
  [[ ${BODY[0]} != --template-url ]] || SS+=(--template-url "${BODY[1]}")
  ((!PREVIEW)) || SS+=(--preview)
  BERTH_AWS_CLI=$AWS tool scripts/stackset.ts "${SS[@]}"
  exit $?
fi

# Stack tags propagate to every nested stack and resource, and a changed tag updates each of them
# (and re-resolves the SSM AMI parameter). So the tags change only when what they say changes: no
# commit or content hash here. The version is the S3 prefix of the packaged templates.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-console-add-tags.html
TAGS=("berth:environment=$ENV_NAME")
[[ $TEMPLATE != service-* || $TEMPLATE == service-catalog ]] || TAGS+=("berth:service=${TEMPLATE#service-}")

# Service Catalog: the products' templates go under their own version (TemplateVersion's default,
# a hash `make build` computed over them), which the portfolio stack then points at.
if [[ $TEMPLATE == service-catalog ]]; then
  PRODUCT_VERSION=$(tool scripts/deploy-parameters.ts "output/$ENV_NAME/service-catalog.yaml" --default TemplateVersion)
  PRODUCT_KEY=$PREFIX/$ENV_NAME/$PRODUCT_VERSION
  mkdir "$TMP/products"
  # The products: the foundation and one per service (root.yaml, the whole estate, is not one).
  for f in "output/$ENV_NAME"/foundation.yaml "output/$ENV_NAME"/service-*.yaml; do
    name=${f##*/}; name=${name%.yaml}
    [[ $name != service-catalog ]] || continue
    package "$name" "$PRODUCT_KEY" "$TMP/products/$name.yaml"
  done
  aws_ s3 cp "$TMP/products" "s3://$BUCKET/$PRODUCT_KEY/" --recursive --only-show-errors
  pass "product templates published to s3://$BUCKET/$PRODUCT_KEY/"
  ((!PREVIEW || !${#SHARES[@]})) || step "the portfolio would be shared with ${SHARES[*]} once deployed; a preview shares nothing"
fi

CAPABILITIES=(CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND)

# Rollback triggers: the alarms the template names (its `berth:rollback-triggers` Metadata), as
# the stack has them; CloudFormation rolls the deploy back when one goes to ALARM during it or its
# monitoring time. `aws cloudformation deploy` cannot pass them, hence the change set below.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-rollback-triggers.html
ROLLBACK=()
if ((TRIGGERS)); then
  step "rollback triggers of stack $STACK_NAME"
  FIRST=()
  ((EXISTING)) || FIRST=(--new)
  if BERTH_AWS_CLI=$AWS tool scripts/deploy-triggers.ts "$SOURCE" --stack-name "$STACK_NAME" --region "$REGION" --out "$TMP" "${FIRST[@]+"${FIRST[@]}"}"; then :; else exit $?; fi
  [[ ! -f $TMP/rollback.json ]] || ROLLBACK=(--rollback-configuration "file://$TMP/rollback.json")
else
  step "rollback triggers of stack $STACK_NAME: none (--no-rollback-triggers)"
fi

# create_change_set NAME TYPE: creates the change set, waits for it, and sets CS (its ID),
# CS_STATUS and CS_REASON; a change set CloudFormation refuses outright ends the script.
create_change_set() {
  local tags=() tag
  for tag in "${TAGS[@]}"; do tags+=("Key=${tag%%=*},Value=${tag#*=}"); done
  CS=$(aws_ cloudformation create-change-set --stack-name "$STACK_NAME" --change-set-name "$1" --change-set-type "$2" \
    "${BODY[@]}" --include-nested-stacks --capabilities "${CAPABILITIES[@]}" --parameters "file://$TMP/parameters.json" \
    --tags "${tags[@]}" "${ROLLBACK[@]+"${ROLLBACK[@]}"}" --query Id --output text 2>"$TMP/cs.err") ||
    die "cannot create the change set: $(grep -v '^\s*$' "$TMP/cs.err" | head -n 1)"
  # Nothing of an unexecuted change set may remain: the change set, and the empty stack a CREATE change set makes.
  CLEANUP+=("'$AWS' cloudformation delete-change-set --change-set-name '$CS'")
  [[ $2 == UPDATE ]] || CLEANUP+=("'$AWS' cloudformation delete-stack --stack-name '$STACK_NAME'")
  for _ in $(seq 1 600); do
    read -r CS_STATUS CS_REASON < <(aws_ cloudformation describe-change-set --change-set-name "$CS" --query '[Status,StatusReason]' --output text)
    [[ $CS_STATUS == *_PENDING || $CS_STATUS == *_IN_PROGRESS ]] || break
    sleep "${BERTH_POLL_SECONDS:-5}"
  done
}
CS_TYPE=UPDATE
((EXISTING)) || CS_TYPE=CREATE

# ---------------------------------------------------------------------------------------------
# --preview: a change set with the nested stacks' changes, printed, then deleted

# print_changes CHANGE-SET-ID LABEL: one line per change, then the nested stacks' change sets.
print_changes() {
  local rows action id type replacement nested
  rows=$(aws_ cloudformation describe-change-set --change-set-name "$1" \
    --query 'Changes[].ResourceChange.[Action,LogicalResourceId,ResourceType,Replacement,ChangeSetId]' --output text)
  [[ -n $rows ]] || { printf '  %-24s (no changes)\n' "$2"; return; }
  while IFS=$'\t' read -r action id type replacement nested; do
    case $replacement in True) replacement=yes ;; False) replacement=no ;; Conditional) replacement=conditional ;; *) replacement=- ;; esac
    printf '  %-24s %-7s %-40s %-44s %s\n' "$2" "$action" "$id" "$type" "$replacement"
    CHANGES=$((CHANGES + 1))
    if [[ $action == Modify && ($type == AWS::AutoScaling::AutoScalingGroup || $type == AWS::EC2::LaunchTemplate) ]]; then INSTANCES+=("$2/$id"); fi
    if [[ $type == AWS::CloudFormation::Stack && -n $nested && $nested != None ]]; then print_changes "$nested" "$2/$id"; fi
  done <<<"$rows"
}

if ((PREVIEW)); then
  NAME=berth-preview-$(date +%s)
  step "preview: change set $NAME ($CS_TYPE) for stack $STACK_NAME, nested stacks included"
  create_change_set "$NAME" "$CS_TYPE"
  cs_status=$CS_STATUS reason=$CS_REASON
  CHANGES=0
  if [[ $cs_status == FAILED && $reason == *"didn't contain changes"* ]]; then
    pass "preview of $STACK_NAME: no changes; nothing was executed"
    exit 0
  fi
  [[ $cs_status == CREATE_COMPLETE ]] || die "the change set failed: $reason"
  printf '  %-24s %-7s %-40s %-44s %s\n' stack action 'logical ID' type replacement
  INSTANCES=()
  print_changes "$CS" "$STACK_NAME"
  # In plain words: a new launch template version (a changed instance setting, or a new ECS-optimized
  # AMI from its SSM parameter) makes the group's rolling update replace every EC2 instance, a batch
  # at a time, while tasks drain to the new ones.
  # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatepolicy.html#cfn-attributes-updatepolicy-rollingupdate
  if ((${#INSTANCES[@]})); then
    printf '%s\n' "Instances: this change replaces the cluster's EC2 instances (${INSTANCES[*]} change). The Auto Scaling group's rolling update starts new instances from the new launch template version and terminates the old ones a batch at a time; ECS drains their tasks to the new instances first. Expect a few minutes per instance."
  fi
  pass "preview of $STACK_NAME: $CHANGES changes shown; the change set is deleted and nothing was executed"
  exit 0
fi

# Events already there belong to earlier deploys: mark them seen.
if ((EXISTING)); then poll all >/dev/null; : >"$NEW"; : >"$FLUSHED"; fi

NAME=berth-deploy-$(date +%s)
step "deploying stack $STACK_NAME (change set $NAME, $CS_TYPE; events as they arrive)"
SECONDS=0
create_change_set "$NAME" "$CS_TYPE"
if [[ $CS_STATUS == FAILED && ($CS_REASON == *"didn't contain changes"* || $CS_REASON == *"No updates are to be performed"*) ]]; then
  pass "stack $STACK_NAME: no changes ($STATUS) in $(printf '%dm %02ds' $((SECONDS / 60)) $((SECONDS % 60)))"
  exit 0
fi
[[ $CS_STATUS == CREATE_COMPLETE ]] || die "the change set failed: $CS_REASON"
RC=0
aws_ cloudformation execute-change-set --change-set-name "$CS" >"$TMP/deploy.out" 2>&1 || RC=$?
# Executed: the change set is CloudFormation's now, and so is the stack.
CLEANUP=()
# Never wait without a bound: past BERTH_TIMEOUT_MINUTES the script stops watching (CloudFormation
# carries on, and rolls back on its own if the deploy fails).
LIMIT=$((${BERTH_TIMEOUT_MINUTES:-90} * 60))
STATUS=$(stack_status "$STACK_NAME")
while ((RC == 0)) && [[ -z $STATUS || $STATUS == *_IN_PROGRESS ]]; do
  sleep "${BERTH_POLL_SECONDS:-5}" & wait $! || true
  poll
  STATUS=$(stack_status "$STACK_NAME")
  if ((SECONDS > LIMIT)) && [[ $STATUS == *_IN_PROGRESS ]]; then
    fail "stack $STACK_NAME: still $STATUS after ${BERTH_TIMEOUT_MINUTES:-90} minutes (BERTH_TIMEOUT_MINUTES); stopped watching. CloudFormation carries on: aws cloudformation describe-stack-events --stack-name $STACK_NAME --region $REGION"
    exit 1
  fi
done
poll all
STATUS=$(stack_status "$STACK_NAME")
ELAPSED=$(printf '%dm %02ds' $((SECONDS / 60)) $((SECONDS % 60)))

if ((RC == 0)) && [[ $STATUS == CREATE_COMPLETE || $STATUS == UPDATE_COMPLETE ]]; then
  pass "stack $STACK_NAME: $STATUS in $ELAPSED"
  # --share-with: the deployed portfolio shared with organisation nodes (scripts/portfolio-share.ts).
  if ((${#SHARES[@]})); then
    SHARE_ARGS=("$ENV_NAME" --stack-name "$STACK_NAME" --region "$REGION" --bucket "$BUCKET" --key-prefix "$PREFIX/$ENV_NAME")
    for node in "${SHARES[@]}"; do SHARE_ARGS+=(--share-with "$node"); done
    BERTH_AWS_CLI=$AWS tool scripts/portfolio-share.ts "${SHARE_ARGS[@]}"
    exit $?
  fi
  exit 0
fi

# Failure: what the CLI said, why CloudFormation rolled back, then every failed event of the stack
# and its nested stacks.
fail "stack $STACK_NAME: ${STATUS:-not created} after $ELAPSED"
grep -v '^\s*$' "$TMP/deploy.out" | sed 's/^/  aws: /' || true
awk -F '\t' -v r="$STACK_NAME" '$1 == r && $3 == r && $5 ~ /ROLLBACK_IN_PROGRESS$/ && $6 != "None" && $6 != "" { print "  rolled back: " $6 }' "$NEW" || true
if grep -q 'FAILED' "$NEW"; then
  printf '%s\n' "Failed events (stack, logical ID, status, reason):"
  awk -F '\t' '$5 ~ /FAILED$/' "$NEW" | sort -t $'\t' -k 2,2 | show
fi
if [[ $STATUS == ROLLBACK_COMPLETE ]]; then
  printf '%s\n' "Stack $STACK_NAME is in ROLLBACK_COMPLETE: it was never created and cannot be updated. Delete it before the next deploy:" \
    "  $(delete_command)"
fi
exit 1
