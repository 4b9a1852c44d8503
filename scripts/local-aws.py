"""
moto_server (pinned moto 5.2.5) with fixes for the moto bugs that reject valid berth templates.
Run as `.venv/bin/python scripts/local-aws.py -H 127.0.0.1 -p PORT`, like moto_server itself.

Each patch fixes moto, never berth's templates, and names the behaviour AWS documents:
- AWS::KMS::Key Tags are `Key`/`Value` pairs in CloudFormation
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html#cfn-kms-key-tags),
  but moto's CloudFormation handler passes them to the KMS API's tagger, which expects
  `TagKey`/`TagValue`, raises KeyError 'TagKey' and answers HTTP 500.
- A stack whose create fails is left half-created in CREATE_IN_PROGRESS: moto neither rolls back
  nor knows `RetainExceptOnCreate`. CloudFormation rolls a failed create back, deleting every
  resource it created except those with `DeletionPolicy: Retain` (`RetainExceptOnCreate` is
  deleted: the operation that created it is the one rolling back), and ends in ROLLBACK_COMPLETE;
  a later stack deletion keeps both `Retain` and `RetainExceptOnCreate` resources
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html).
  The patches below do that for `create-stack` (moto's change sets take another path, untouched):
  the create still answers with the resource's error, as the change-set path does, and the stack
  is then ROLLBACK_COMPLETE, without outputs; `delete-stack` keeps RetainExceptOnCreate resources.
- Resource types moto does not implement are skipped when a stack is created but listed as None
  among its resources, so `describe-stack-resource` of any later resource answers HTTP 500.
- moto's RDS implements Aurora clusters (Serverless v2 scaling, master passwords it keeps in its
  Secrets Manager under a given KMS key), but its CloudFormation has no AWS::RDS::DBCluster: it
  skips the cluster, and creates the cluster's instances (an AWS::RDS::DBInstance with
  DBClusterIdentifier) as standalone ones. The model below passes the template's properties to
  moto's own CreateDBCluster, by their API names (CloudFormation names them the same, but for
  `MasterUserSecret.KmsKeyId`, which is `MasterUserSecretKmsKeyId`), answers the documented
  attributes, and puts an instance with DBClusterIdentifier in its cluster.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbcluster.html
- moto's AWS::DynamoDB::Table ignores PointInTimeRecoverySpecification and
  TimeToLiveSpecification; both are applied here through moto's own UpdateContinuousBackups and
  UpdateTimeToLive, as CloudFormation applies them. It also passes SSESpecification on as the API's
  (whose flag is `Enabled`; CloudFormation's is `SSEEnabled`), so the table's encryption is lost:
  the flag is renamed here.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html
- moto's AWS::ElasticLoadBalancingV2::TargetGroup answers no `Fn::GetAtt` at all (AttributeError,
  HTTP 500); CloudFormation documents TargetGroupFullName (`targetgroup/<name>/<id>`, the end of
  its ARN), TargetGroupName and LoadBalancerArns
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticloadbalancingv2-targetgroup.html#aws-resource-elasticloadbalancingv2-targetgroup-return-values).
- moto's AWS::ElasticLoadBalancingV2::LoadBalancer lists `LoadBalancerFullName` among its
  attributes but does not implement it (the template's unresolved `Fn::GetAtt` ends up as the
  value); CloudFormation documents it as `app/<name>/<id>`, the end of the ARN
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticloadbalancingv2-loadbalancer.html#aws-resource-elasticloadbalancingv2-loadbalancer-return-values).
- moto implements CloudWatch's alarms and SNS subscriptions and topic policies, but not the
  CloudFormation types AWS::CloudWatch::Alarm, AWS::SNS::Subscription and AWS::SNS::TopicPolicy:
  it skips them. The models below create them through moto's own backends, as its PutMetricAlarm,
  Subscribe and SetTopicAttributes handlers do, so a deployed stack's alarms, subscriptions and
  topic policy can be read back (`describe-alarms` shows the alarm as moto's API would have stored
  it). They add no checks moto's API lacks.
- An update that keeps a list parameter's previous value (`UsePreviousValue`) hands moto the
  stored list, which it splits again (AttributeError, HTTP 500); it is joined back first.
- The AWS CLI's own botocore (awscli 1.46 vendors one) speaks CloudWatch's JSON protocol, which
  the older botocore moto loads does not list for CloudWatch, so moto answers HTTP 500; moto's
  CloudWatch parses and serializes JSON already, so the protocol check admits it.
- moto runs a Lambda function's code only in Docker, which the tests do not have, so a
  Lambda-backed custom resource (the network stack's: templates/stacks/shared/vpc-defaults.ts)
  would never answer. A Python function with inline code (`Code.ZipFile`) runs here in a
  long-lived worker process instead, with its real code, a fresh import and environment each time: its SDK calls reach this server (AWS_ENDPOINT_URL) and
  it answers CloudFormation at the URL in the event, which moto makes on this server's port.
  CloudFormation waits for a custom resource's answer before it creates what depends on it
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-custom-resources.html);
  moto reads the attributes at once, so the function runs before moto goes on, and the answer
  does not make moto finish the stack's other resources from the answering request. The function
  runs with its execution role's credentials, so its calls act in its own account (a stack set
  instance's), and its answer, which carries no credentials, reaches the stack it names in that
  stack's account.
- A template over 51,200 bytes goes to CloudFormation as a `--template-url` (scripts/deploy.sh),
  here `http://127.0.0.1:<port>/<bucket>/<key>`, path-style; moto reads a URL path-style only when
  it says `localhost` and takes `127` for the bucket otherwise (NoSuchBucket). The address is
  read as localhost's.
- A stack created or updated through a change set (what `aws cloudformation deploy` does) has
  no outputs in moto: `execute_change_set` applies the resources but keeps the output map of the
  template the stack had before. CloudFormation reports a stack's outputs however it was created
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html), and
  the layer walkthrough (docs/local.md) reads them with `describe-stacks`. The patch re-reads the
  executed template and rebuilds the output map.
- A CommaDelimitedList (or List<...>) parameter left at its Default is a list in CloudFormation,
  as when it is passed (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html);
  moto splits passed values only, so `!Select [0, !Ref Cidrs]` of a default takes its first character.
- A resource whose creation fails gets a CREATE_FAILED event naming it (moto records none), as
  CloudFormation's events do; the rollback patch below adds it.
- Stack sets, which moto completes at once and always as SUCCEEDED:
  * an instance's stack is named `StackSet:<name>` (self-managed; no stack name may hold a colon,
    and a Lambda function named after it is not found by its ARN) or kept outside the target
    account's stacks (service-managed): both become the account's stack `StackSet-<name>-<uuid>`;
  * an instance whose stack fails is not an error of the CreateStackInstances call (moto answers
    HTTP 500): the operation runs, the instance is OUTDATED with DetailedStatus FAILED and the
    stack's reason, and once a Region's failures exceed the operation's failure tolerance the
    later Regions' instances are CANCELLED, and the operation FAILED
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html,
    https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackInstanceComprehensiveStatus.html);
  * ListStackSetOperationResults gives each instance's own status and reason (moto: the
    operation's status for all), and ListStackInstances the instance's status and its stack's ID
    (moto: CURRENT, and an ID of a stack that does not exist);
  * UpdateStackSet without accounts and Regions updates every instance's stack with the new
    template ("To update all the stack instances ..., don't specify Accounts or Regions":
    https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStackSet.html);
    moto stores the template and updates no stack.
- MOTO_ACCOUNT_ID (test/_moto.ts sets it) overrides the account of every request, so
  credentials from `sts assume-role` into another account still act in MOTO_ACCOUNT_ID. In AWS
  they act in the role's account. The patch below gives moto-issued keys their own account and
  every other key MOTO_ACCOUNT_ID, so a test can look into a stack set's target accounts.
- `!GetAtt [Resource, Attribute]` (the short form applied to the list form of Fn::GetAtt, which
  berth emits and CloudFormation reads; cfn-lint checks it) reaches moto's parser as YAML nodes,
  not strings, so any template body not rewritten by `aws cloudformation package` fails.
When a moto upgrade fixes a bug, its patch here becomes a no-op and can go.
"""
import math
import sys
import threading
import uuid

from moto.kms import models as kms

_create_key = kms.KmsBackend.create_key


def create_key(self, policy, key_usage, key_spec, description, tags, *args, **kwargs):  # type: ignore[no-untyped-def]
    if tags:
        tags = [{"TagKey": t.get("TagKey", t.get("Key")), "TagValue": t.get("TagValue", t.get("Value"))} for t in tags]
    return _create_key(self, policy, key_usage, key_spec, description, tags, *args, **kwargs)


kms.KmsBackend.create_key = create_key

from moto.cloudformation import models as cfn_models, parsing as cfn_parsing  # noqa: E402

_delete_resources = cfn_parsing.ResourceMap.delete


def delete_resources(self):  # type: ignore[no-untyped-def]
    """Stack deletion: keep Retain and RetainExceptOnCreate resources (moto keeps only Retain)."""
    saved = self._resource_json_map
    self._resource_json_map = {
        k: ({**v, "DeletionPolicy": "Retain"} if isinstance(v, dict) and v.get("DeletionPolicy") == "RetainExceptOnCreate" else v)
        for k, v in saved.items()
    }
    try:
        _delete_resources(self)
    finally:
        self._resource_json_map = saved


cfn_parsing.ResourceMap.delete = delete_resources

_create_stack = cfn_models.CloudFormationBackend.create_stack


def _reason(error):  # type: ignore[no-untyped-def]
    """An AWS error's message (moto's str() adds the HTTP status and JSON)."""
    return getattr(error, "message", None) or str(error)



def create_stack(self, name, *args, **kwargs):  # type: ignore[no-untyped-def]
    """A failed create rolls back: every created resource but `Retain` ones is deleted (moto's own delete keeps only Retain).

    moto creates resources lazily, some while it reads the new stack's outputs and exports, so the
    failure can come from anywhere in create_stack; the stack is registered by then."""
    try:
        return _create_stack(self, name, *args, **kwargs)
    except Exception as error:
        stack = next((s for s in self.stacks.values() if s.name == name and s.status in ("CREATE_PENDING", "CREATE_IN_PROGRESS")), None)
        if stack is None:
            raise
        failed = getattr(error, "berth_resource", None)
        if failed:
            stack.events.append(cfn_models.Event(stack.stack_id, stack.name, failed[0], "", failed[1], "CREATE_FAILED", _reason(error), None))
        stack.status = "ROLLBACK_IN_PROGRESS"
        stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=f"The following resource(s) failed to create: [{failed[0] if failed else ''}]. {error}")
        try:
            _delete_resources(stack.resource_map)
        except Exception:
            # moto cannot delete some resources it created in dependency order (a VPC whose NAT
            # gateway it keeps: DependencyViolation); CloudFormation deletes in reverse order of
            # creation, so the stack ends rolled back, and moto keeps the leftovers.
            pass
        stack.status = "ROLLBACK_COMPLETE"
        stack._add_stack_event("ROLLBACK_COMPLETE")
        raise


cfn_models.CloudFormationBackend.create_stack = create_stack

_parse_and_create_resource = cfn_parsing.parse_and_create_resource


def parse_and_create_resource(logical_id, resource_json, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Remembers on the error which resource failed, for its CREATE_FAILED event."""
    try:
        return _parse_and_create_resource(logical_id, resource_json, *args, **kwargs)
    except Exception as error:
        if not hasattr(error, "berth_resource"):
            error.berth_resource = (logical_id, resource_json.get("Type", ""))  # type: ignore[attr-defined]
        raise


cfn_parsing.parse_and_create_resource = parse_and_create_resource

_load_parameters = cfn_parsing.ResourceMap.load_parameters


def load_parameters(self):  # type: ignore[no-untyped-def]
    """List-typed parameters left at their Default are lists, as passed ones are."""
    _load_parameters(self)
    for name, slot in (self._template.get("Parameters") or {}).items():
        kind = slot.get("Type", "String")
        value = self.resolved_parameters.get(name)
        if isinstance(value, str) and name not in self.input_parameters and (kind == "CommaDelimitedList" or kind.startswith("List<")):
            self.resolved_parameters[name] = self._parsed_resources[name] = value.split(",")


cfn_parsing.ResourceMap.load_parameters = load_parameters

def _none_when_rolled_back(name):  # type: ignore[no-untyped-def]
    """A rolled-back stack has no outputs or exports (moto would create the failed resources again to read them)."""
    original = getattr(cfn_models.Stack, name)
    setattr(cfn_models.Stack, name, property(lambda self: [] if self.status == "ROLLBACK_COMPLETE" else original.fget(self)))


_none_when_rolled_back("outputs")
_none_when_rolled_back("exports")

_stack_resources = cfn_models.Stack.stack_resources
# moto skips resource types it does not implement (AWS::SecretsManager::Secret, Application Auto
# Scaling) but still lists them as None, so describe-stack-resource of any resource after one of
# them fails with HTTP 500. Skip them, as moto skips creating them.
cfn_models.Stack.stack_resources = property(lambda self: (r for r in _stack_resources.fget(self) if r is not None))  # lazy, as moto creates resources on first read

from moto.core.common_models import CloudFormationModel  # noqa: E402
from moto.core.parse import XFormedDict  # noqa: E402  (the parameter map moto's RDS API handlers get)
from moto.rds import models as rds  # noqa: E402


def _api_params(properties):  # type: ignore[no-untyped-def]
    """CloudFormation properties as moto's RDS API handlers receive request parameters."""
    def convert(v):  # type: ignore[no-untyped-def]
        if isinstance(v, dict):
            return XFormedDict({k: convert(x) for k, x in v.items()})
        if isinstance(v, list):
            return [convert(x) for x in v]
        return v
    params = convert({k: v for k, v in properties.items() if v not in ("", None)})
    secret = properties.get("MasterUserSecret") or {}
    if secret.get("KmsKeyId"):
        params["MasterUserSecretKmsKeyId"] = secret["KmsKeyId"]
    return params


class _DBClusterModel(CloudFormationModel):
    """AWS::RDS::DBCluster over moto's RDS clusters (see the module docstring)."""

    # moto files a model under the service its module names (moto.<service>...).
    __module__ = "moto.rds.models"

    def __init__(self, cluster, account_id, region_name):  # type: ignore[no-untyped-def]
        self.cluster = cluster
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "DBClusterIdentifier"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::RDS::DBCluster"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("DBClusterArn", "Endpoint.Address", "Endpoint.Port", "ReadEndpoint.Address", "MasterUserSecret.SecretArn")

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        params = _api_params(cloudformation_json.get("Properties", {}))
        params["DBClusterIdentifier"] = resource_name
        cluster = rds.rds_backends[account_id][region_name].create_db_cluster(params)
        return cls(cluster, account_id, region_name)

    @property
    def physical_resource_id(self) -> str:
        return self.cluster.db_cluster_identifier

    def get_cfn_attribute(self, attribute_name):  # type: ignore[no-untyped-def]
        c = self.cluster
        return {
            "DBClusterArn": c.db_cluster_arn,
            "Endpoint.Address": c.endpoint,
            "Endpoint.Port": str(c.port),
            "ReadEndpoint.Address": c.reader_endpoint,
            "MasterUserSecret.SecretArn": c.master_user_secret.secret_arn if c.manage_master_user_password else None,
        }[attribute_name]

    def delete(self, account_id, region_name):  # type: ignore[no-untyped-def]
        rds.rds_backends[account_id][region_name].delete_db_cluster(cluster_identifier=self.cluster.db_cluster_identifier)


_create_instance = rds.DBInstance.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def create_instance(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
    """An instance with DBClusterIdentifier joins its cluster (moto's handler would make it standalone)."""
    properties = cloudformation_json.get("Properties", {})
    if not properties.get("DBClusterIdentifier"):
        return _create_instance(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    params = _api_params(properties)
    params["DBInstanceIdentifier"] = resource_name.replace("_", "-").lower()
    return rds.rds_backends[account_id][region_name].create_db_instance(params)


rds.DBInstance.create_from_cloudformation_json = classmethod(create_instance)  # type: ignore[method-assign, assignment]

from moto.dynamodb.models import dynamodb_backends, table as dynamodb_table  # noqa: E402

_create_table = dynamodb_table.Table.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def create_table(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
    """Encryption, point-in-time recovery and time to live, as CloudFormation applies them."""
    properties = cloudformation_json.get("Properties", {})
    sse = properties.get("SSESpecification")
    if isinstance(sse, dict) and "SSEEnabled" in sse:
        properties["SSESpecification"] = {("Enabled" if k == "SSEEnabled" else k): v for k, v in sse.items()}
    table = _create_table(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    backend = dynamodb_backends[account_id][region_name]
    if (properties.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled") in (True, "true"):
        backend.update_continuous_backups(table.name, {"PointInTimeRecoveryEnabled": True})
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        backend.update_time_to_live(table.name, ttl)
    return table


dynamodb_table.Table.create_from_cloudformation_json = classmethod(create_table)  # type: ignore[method-assign, assignment]

_load_parameters_then_defaults = cfn_parsing.ResourceMap.load_parameters


def _load_parameters_previous_lists(self):  # type: ignore[no-untyped-def]
    # A list parameter kept with UsePreviousValue arrives as the stack's stored value, already a
    # list, which moto then splits again (AttributeError, HTTP 500): give it back as the text
    # CloudFormation keeps. https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Parameter.html
    self.input_parameters = {k: ",".join(v) if isinstance(v, list) else v for k, v in self.input_parameters.items()}
    return _load_parameters_then_defaults(self)


cfn_parsing.ResourceMap.load_parameters = _load_parameters_previous_lists  # type: ignore[method-assign]

from moto.core import responses as core_responses  # noqa: E402

_determine_request_protocol = core_responses.determine_request_protocol


def _with_cloudwatch_json(service_model, content_type=None):  # type: ignore[no-untyped-def]
    """CloudWatch's JSON protocol, which the AWS CLI's own botocore speaks (its model lists
    smithy-rpc-v2-cbor, json and query), while the botocore moto loads lists only query and moto
    refuses the request (HTTP 500). moto's CloudWatch parses and serializes JSON already."""
    if service_model.service_name == "cloudwatch" and content_type and content_type.startswith("application/x-amz-json-1.0"):
        return "json"
    return _determine_request_protocol(service_model, content_type)


core_responses.determine_request_protocol = _with_cloudwatch_json

import json  # noqa: E402

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException  # noqa: E402
from moto.elbv2 import models as elbv2  # noqa: E402

_TARGET_GROUP_ATTRIBUTES = {
    "TargetGroupFullName": lambda tg: tg.arn.split(":")[-1],
    "TargetGroupName": lambda tg: tg.name,
    "TargetGroupArn": lambda tg: tg.arn,
    "LoadBalancerArns": lambda tg: list(tg.load_balancer_arns),
}


def _target_group_attribute(self, attribute_name):  # type: ignore[no-untyped-def]
    if attribute_name in _TARGET_GROUP_ATTRIBUTES:
        return _TARGET_GROUP_ATTRIBUTES[attribute_name](self)
    raise UnformattedGetAttTemplateException()


_load_balancer_attribute = elbv2.FakeLoadBalancer.get_cfn_attribute


def _load_balancer_full_name(self, attribute_name):  # type: ignore[no-untyped-def]
    # moto lists LoadBalancerFullName but does not implement it (the ARN's end, app/<name>/<id>).
    if attribute_name == "LoadBalancerFullName":
        return self.arn.split(":loadbalancer/", 1)[1]
    return _load_balancer_attribute(self, attribute_name)


elbv2.FakeLoadBalancer.get_cfn_attribute = _load_balancer_full_name  # type: ignore[method-assign]
elbv2.FakeTargetGroup.has_cfn_attr = classmethod(lambda cls, attr: attr in _TARGET_GROUP_ATTRIBUTES)  # type: ignore[method-assign]
elbv2.FakeTargetGroup.get_cfn_attribute = _target_group_attribute  # type: ignore[attr-defined]

from moto.cloudwatch import exceptions as cw_exceptions, models as cw  # noqa: E402
from moto.sns import models as sns  # noqa: E402


def _queries(metrics):  # type: ignore[no-untyped-def]
    """CloudFormation's `Metrics` as moto's PutMetricAlarm handler builds them."""
    out = []
    for m in metrics or []:
        stat = m.get("MetricStat") or {}
        metric = stat.get("Metric") or {}
        metric_stat = None
        if metric.get("MetricName"):
            dims = [cw.Dimension(name=d.get("Name"), value=d.get("Value")) for d in metric.get("Dimensions", [])]
            metric_stat = cw.MetricStat(metric=cw.Metric(metric_name=metric["MetricName"], namespace=metric.get("Namespace"), dimensions=dims), period=stat.get("Period"), stat=stat.get("Stat"), unit=stat.get("Unit"))
        out.append(cw.MetricDataQuery(query_id=m.get("Id"), label=m.get("Label"), period=m.get("Period"), return_data=m.get("ReturnData"), expression=m.get("Expression"), metric_stat=metric_stat))
    return out or None


class CfnAlarm(CloudFormationModel):
    """AWS::CloudWatch::Alarm, created with moto's put_metric_alarm."""

    __module__ = "moto.cloudwatch.berth"  # moto files every model under its service (moto.<service>.*)

    def __init__(self, name, account_id, region_name):  # type: ignore[no-untyped-def]
        self.name, self.account_id, self.region_name = name, account_id, region_name

    @property
    def physical_resource_id(self):  # type: ignore[no-untyped-def]
        return self.name

    @staticmethod
    def cloudformation_name_type():  # type: ignore[no-untyped-def]
        return "AlarmName"

    @staticmethod
    def cloudformation_type():  # type: ignore[no-untyped-def]
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr):  # type: ignore[no-untyped-def]
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name):  # type: ignore[no-untyped-def]
        return cw.make_arn_for_alarm(self.region_name, self.account_id, self.name)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        p = cloudformation_json["Properties"]
        name = p.get("AlarmName") or resource_name
        # A dimension whose value is missing (a Ref to a resource moto skipped) fails as PutMetricAlarm would.
        for i, d in enumerate(p.get("Dimensions", []), start=1):
            if not d.get("Value"):
                raise cw_exceptions.ValidationError(f"1 validation error detected: Value '' at 'dimensions.{i}.member.value' failed to satisfy constraint: Member must have length greater than or equal to 1")
        number = lambda v: None if v is None else float(v)  # noqa: E731  (a parameter's value is a string)
        whole = lambda v: None if v is None else int(v)  # noqa: E731
        cw.cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            metric_data_queries=_queries(p.get("Metrics")),
            comparison_operator=p.get("ComparisonOperator"),
            evaluation_periods=whole(p.get("EvaluationPeriods")),
            datapoints_to_alarm=whole(p.get("DatapointsToAlarm")),
            period=whole(p.get("Period")),
            threshold=number(p.get("Threshold")),
            statistic=p.get("Statistic"),
            extended_statistic=p.get("ExtendedStatistic"),
            description=p.get("AlarmDescription"),
            dimensions=p.get("Dimensions", []),
            alarm_actions=p.get("AlarmActions", []),
            ok_actions=p.get("OKActions", []),
            insufficient_data_actions=p.get("InsufficientDataActions", []),
            unit=p.get("Unit"),
            actions_enabled=str(p.get("ActionsEnabled", "true")).lower() == "true",
            treat_missing_data=p.get("TreatMissingData"),
        )
        return cls(name, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
        cls.delete_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
        cw.cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])


class CfnSubscription(CloudFormationModel):
    """AWS::SNS::Subscription, created with moto's subscribe (an email endpoint stays pending confirmation)."""

    __module__ = "moto.sns.berth"

    def __init__(self, arn):  # type: ignore[no-untyped-def]
        self.arn = arn

    @property
    def physical_resource_id(self):  # type: ignore[no-untyped-def]
        return self.arn

    @staticmethod
    def cloudformation_name_type():  # type: ignore[no-untyped-def]
        return ""

    @staticmethod
    def cloudformation_type():  # type: ignore[no-untyped-def]
        return "AWS::SNS::Subscription"

    @classmethod
    def has_cfn_attr(cls, attr):  # type: ignore[no-untyped-def]
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        p = cloudformation_json["Properties"]
        subscription = sns.sns_backends[account_id][region_name].subscribe(p["TopicArn"], p["Endpoint"], p["Protocol"])
        return cls(subscription.arn)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
        sns.sns_backends[account_id][region_name].unsubscribe(resource_name)


class CfnTopicPolicy(CloudFormationModel):
    """AWS::SNS::TopicPolicy, set with moto's set_topic_attribute (its SetTopicAttributes)."""

    __module__ = "moto.sns.berth"

    def __init__(self, topics):  # type: ignore[no-untyped-def]
        self.topics = topics

    @property
    def physical_resource_id(self):  # type: ignore[no-untyped-def]
        return ",".join(self.topics)

    @staticmethod
    def cloudformation_name_type():  # type: ignore[no-untyped-def]
        return ""

    @staticmethod
    def cloudformation_type():  # type: ignore[no-untyped-def]
        return "AWS::SNS::TopicPolicy"

    @classmethod
    def has_cfn_attr(cls, attr):  # type: ignore[no-untyped-def]
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        p = cloudformation_json["Properties"]
        for topic in p["Topics"]:
            sns.sns_backends[account_id][region_name].set_topic_attribute(topic, "policy", json.dumps(p["PolicyDocument"]))
        return cls(p["Topics"])

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
        pass


from moto.wafv2 import models as wafv2  # noqa: E402


class CfnWebAcl(CloudFormationModel):
    """AWS::WAFv2::WebACL, created with moto's create_web_acl (moto's CloudFormation skips the type).
    Its Ref is `<name>|<id>|<scope>` and its Arn `...:regional/webacl/<name>/<id>`, as AWS answers, so
    the registry entry the load balancer stack derives from the ARN (web-acl-name) is the real name."""

    __module__ = "moto.wafv2.berth"

    def __init__(self, acl, scope):  # type: ignore[no-untyped-def]
        self.acl, self.scope = acl, scope

    @property
    def physical_resource_id(self):  # type: ignore[no-untyped-def]
        return f"{self.acl.name}|{self.acl.id}|{self.scope}"

    @staticmethod
    def cloudformation_name_type():  # type: ignore[no-untyped-def]
        return "Name"

    @staticmethod
    def cloudformation_type():  # type: ignore[no-untyped-def]
        return "AWS::WAFv2::WebACL"

    @classmethod
    def has_cfn_attr(cls, attr):  # type: ignore[no-untyped-def]
        return attr in ("Arn", "Id")

    def get_cfn_attribute(self, attribute_name):  # type: ignore[no-untyped-def]
        return self.acl.arn if attribute_name == "Arn" else self.acl.id

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        p = cloudformation_json["Properties"]
        # CloudFormation generates a name when the template gives none (berth's gives none).
        name = p.get("Name") or resource_name
        acl = wafv2.wafv2_backends[account_id][region_name].create_web_acl(
            name, p["VisibilityConfig"], p["DefaultAction"], p["Scope"], p.get("Description", ""), p.get("Tags", []), p.get("Rules", []), None, None, None, None, None
        )
        return cls(acl, p["Scope"])

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
        backend = wafv2.wafv2_backends[account_id][region_name]
        name, _id, _scope = resource_name.split("|")
        for arn, acl in list(backend.wacls.items()):
            if acl.name == name and acl.id == _id:
                backend.wacls.pop(arn)


import json  # noqa: E402
import os  # noqa: E402
import select  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import zipfile  # noqa: E402
import io  # noqa: E402

from moto import settings as moto_settings  # noqa: E402
from moto.awslambda import models as lambda_models  # noqa: E402
from moto.cloudformation import custom_model  # noqa: E402
from moto.sts import models as sts_models  # noqa: E402
from moto.cloudformation import responses as cfn_responses_early  # noqa: E402
from moto.utilities.utils import get_partition  # noqa: E402

_PORT = sys.argv[sys.argv.index("-p") + 1] if "-p" in sys.argv else "5000"
os.environ["MOTO_PORT"] = _PORT
moto_settings.moto_server_host.cache_clear()
moto_settings.moto_server_host = lambda: "http://127.0.0.1"  # type: ignore[assignment]
custom_model.settings.moto_server_host = moto_settings.moto_server_host  # type: ignore[attr-defined]

_invoke_lambda = lambda_models.LambdaFunction._invoke_lambda


# The functions run in one long-lived Python that has imported boto3 once (a fresh interpreter per
# invocation spent about 0.6 s of CPU starting and importing boto3, most of a function's cost
# here). Each invocation still gets its own environment (its role's credentials, this server as
# endpoint), a fresh import of its module and a fresh boto3 default session, so nothing of one
# invocation reaches the next; calls take turns, and a call past the timeout ends the worker.
_WORKER = r"""
import contextlib, importlib, io, json, os, sys, traceback
import boto3
for line in sys.stdin:
    request = json.loads(line)
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path.insert(0, request["path"])
    sys.modules.pop(request["module"], None)
    boto3.DEFAULT_SESSION = None
    out, err, failed = io.StringIO(), io.StringIO(), False
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            module = importlib.import_module(request["module"])
            print(json.dumps(getattr(module, request["function"])(json.loads(request["event"]), None)))
    except BaseException:
        traceback.print_exc(file=err)
        failed = True
    finally:
        sys.path.remove(request["path"])
        sys.modules.pop(request["module"], None)
    sys.__stdout__.write(json.dumps({"stdout": out.getvalue(), "stderr": err.getvalue(), "failed": failed}) + "\n")
    sys.__stdout__.flush()
"""
_worker = None
_worker_lock = threading.Lock()
_TIMEOUT_SECONDS = 120


def _run_in_worker(request):  # type: ignore[no-untyped-def]
    global _worker
    with _worker_lock:
        if _worker is None or _worker.poll() is not None:
            _worker = subprocess.Popen([sys.executable, "-c", _WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        _worker.stdin.write(json.dumps(request) + "\n")
        _worker.stdin.flush()
        ready, _, _ = select.select([_worker.stdout], [], [], _TIMEOUT_SECONDS)
        answer = _worker.stdout.readline() if ready else ""
        if not answer:
            _worker.kill()
            _worker = None
            return "", True, f"the function did not answer within {_TIMEOUT_SECONDS} s"
    result = json.loads(answer)
    return result["stdout"], result["failed"], result["stderr"]


def invoke_lambda(self, event=None):  # type: ignore[no-untyped-def]
    """A Python function with inline code runs in the worker, against this server."""
    if not str(self.run_time or "").startswith("python") or not self.code_bytes:
        return _invoke_lambda(self, event)
    module, _, function = (self.handler or "index.handler").rpartition(".")
    with tempfile.TemporaryDirectory(prefix="berth-lambda-") as code:
        with zipfile.ZipFile(io.BytesIO(self.code_bytes)) as z:
            z.extractall(code)
        # Lambda runs a function with its execution role's credentials, so its calls act in the
        # function's account (a stack set instance's, not the administrator's): moto's STS issues
        # them, and get_current_account below maps its keys to that account.
        # https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
        role = sts_models.sts_backends[self.account_id][get_partition(self.region)].assume_role(
            region_name=self.region, role_session_name=self.function_name[:64], role_arn=self.role, policy=None, duration=900, external_id=None,
        )
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{_PORT}",
            "AWS_ACCESS_KEY_ID": role.access_key_id,
            "AWS_SECRET_ACCESS_KEY": role.secret_access_key,
            "AWS_SESSION_TOKEN": role.session_token,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }
        return _run_in_worker({"env": env, "path": code, "module": module, "function": function, "event": event if isinstance(event, str) else json.dumps(event)})


lambda_models.LambdaFunction._invoke_lambda = invoke_lambda


class _Now:
    """`threading` for custom_model: the function runs before moto reads the resource's attributes."""

    class Thread:
        def __init__(self, target, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            self._call = (target, args, kwargs or {})

        def start(self):  # type: ignore[no-untyped-def]
            target, args, kwargs = self._call
            target(*args, **kwargs)


custom_model.threading = _Now  # type: ignore[assignment]

_process_cfn_response = cfn_responses_early.CloudFormationResponse.process_cfn_response


def process_cfn_response(self):  # type: ignore[no-untyped-def]
    """The answer belongs to the stack it names, in that stack's account.

    The function answers at the URL in the event (in AWS a presigned S3 URL made for that stack),
    without credentials, so moto would look the stack up in its default account and miss a stack
    set instance's stack in another account ("Stack with id ... does not exist")."""
    stack_id = self._get_param("StackId") or ""
    if stack_id.startswith("arn:") and stack_id.split(":")[4]:
        self.current_account = stack_id.split(":")[4]
    return _process_cfn_response(self)


cfn_responses_early.CloudFormationResponse.process_cfn_response = process_cfn_response

_verify_readiness = cfn_models.Stack.verify_readiness
_in_creation: set = set()


def create_resources(self):  # type: ignore[no-untyped-def]
    _in_creation.add(self.stack_id)
    try:
        return _create_resources(self)
    finally:
        _in_creation.discard(self.stack_id)


def verify_readiness(self):  # type: ignore[no-untyped-def]
    """An answer that comes while moto is still creating the stack leaves the rest to that creation."""
    if self.stack_id in _in_creation:
        return
    return _verify_readiness(self)


_create_resources = cfn_models.Stack.create_resources
cfn_models.Stack.create_resources = create_resources
cfn_models.Stack.verify_readiness = verify_readiness
_execute_change_set = cfn_models.CloudFormationBackend.execute_change_set


def execute_change_set(self, change_set_name, stack_name=None):  # type: ignore[no-untyped-def]
    """After moto applies a change set: the stack's template and outputs are the executed ones."""
    result = _execute_change_set(self, change_set_name, stack_name)
    change_set = self.change_sets.get(change_set_name) or next((c for c in self.change_sets.values() if c.change_set_name == change_set_name), None)
    if change_set is not None:
        stack = self.stacks[change_set.stack_id]
        stack._parse_template()
        stack.output_map = stack._create_output_map()
    return result


cfn_models.CloudFormationBackend.execute_change_set = execute_change_set
# ---------------------------------------------------------------------------------------------
# Stack sets: per-instance outcomes, failure tolerance, updates that reach the instances.

from moto.cloudformation import responses as cfn_responses  # noqa: E402

# The OperationPreferences of the request this thread serves (the backend is not given them).
_request = threading.local()
_create_stack_instances_response = cfn_responses.CloudFormationResponse.create_stack_instances


def create_stack_instances_response(self):  # type: ignore[no-untyped-def]
    _request.preferences = self._get_params().get("OperationPreferences") or {}
    try:
        return _create_stack_instances_response(self)
    finally:
        _request.preferences = {}


cfn_responses.CloudFormationResponse.create_stack_instances = create_stack_instances_response


def _tolerance(preferences, accounts):  # type: ignore[no-untyped-def]
    """Failures a Region may have before the operation stops: the count, or the percentage rounded down (default 0)."""
    if preferences.get("FailureToleranceCount") is not None:
        return int(preferences["FailureToleranceCount"])
    return math.floor(int(preferences.get("FailureTolerancePercentage") or 0) * accounts / 100)


def _settle(instance, status, detailed, reason=None):  # type: ignore[no-untyped-def]
    instance.berth_status, instance.berth_detailed, instance.berth_reason = status, detailed, reason
    return instance


_instance_init = cfn_models.StackInstance.__init__


def instance_init(self, account_id, region_name, stackset_id, stack_name, name, template, parameters, permission_model):  # type: ignore[no-untyped-def]
    """The instance's stack, a stack of the target account and Region; one that fails to create leaves the instance OUTDATED and FAILED, with its stack (rolled back).

    moto names a self-managed instance's stack `StackSet:<name>`, which no stack name may be
    (letters, digits and hyphens: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html),
    and names generated from it carry the colon: a Lambda function's ARN
    `...:function:StackSet:<name>-<logical ID>-<suffix>` reads as function `StackSet` with a
    qualifier ("Function not found"). A service-managed instance's stack moto keeps outside the
    account's stacks, where a custom resource's answer cannot find it. Both become
    `StackSet-<name>-<uuid>`, as CloudFormation names an instance's stack, created through the
    target account's backend."""
    _settle(self, "CURRENT", "SUCCEEDED")
    self.account_id, self.region_name, self.stackset_id, self.stack_name = account_id, region_name, stackset_id, stack_name
    self.name, self.template, self.parameters, self.permission_model = name, template, parameters or [], permission_model
    params = parameters if isinstance(parameters, dict) else {p["ParameterKey"]: p["ParameterValue"] for p in parameters or []}
    backend = cfn_models.cloudformation_backends[account_id][region_name]
    own = f"StackSet-{name}-{uuid.uuid4()}"
    try:
        self.stack = backend.create_stack(name=own, template=template, parameters=params)
    except Exception as error:
        self.stack = next((s for s in backend.stacks.values() if s.name == own), None)
        failed = getattr(error, "berth_resource", ("", ""))
        _settle(self, "OUTDATED", "FAILED", f"ResourceLogicalId:{failed[0]}, ResourceType:{failed[1]}, ResourceStatusReason:{_reason(error)}")


cfn_models.StackInstance.__init__ = instance_init


def _cancelled(account_id, region_name, stackset_id, stack_name, name, template, parameters, permission_model):  # type: ignore[no-untyped-def]
    instance = cfn_models.StackInstance.__new__(cfn_models.StackInstance)
    instance.account_id, instance.region_name, instance.stackset_id, instance.stack_name = account_id, region_name, stackset_id, stack_name
    instance.name, instance.template, instance.parameters, instance.permission_model = name, template, parameters or [], permission_model
    instance.stack = None
    return _settle(instance, "OUTDATED", "CANCELLED", "Cancelled since failure tolerance has exceeded")


def create_instances(self, accounts, regions, parameters, deployment_targets, permission_model):  # type: ignore[no-untyped-def]
    """Regions in the operation's RegionOrder, one after another; past the tolerance, the rest is cancelled."""
    preferences = getattr(_request, "preferences", {}) or {}
    order = preferences.get("RegionOrder") or []
    regions = sorted(regions, key=lambda r: order.index(r) if r in order else len(order))
    requested = deployment_targets.get("OrganizationalUnitIds", [])
    units = requested + [ou.id for ou in self.org_backend.ou if ou.parent_id in requested]
    members = [a.id for a in self.org_backend.accounts if a.parent_id in units]
    results, stopped, new = [], False, []
    for region in regions:
        failures = 0
        targets = [a for a in [*accounts, *members] if self.get_instance(a, region) is None]
        for account in targets:
            args = (account, region, self.stackset_id, self.stack_name, self.stackset_name, self.template, parameters, permission_model)
            instance = _cancelled(*args) if stopped else cfn_models.StackInstance(*args)
            failures += instance.berth_detailed == "FAILED"
            self.stack_instances.append(instance)
            new.append(instance)
            results.append({"Account": account, "Region": region, "Status": instance.berth_detailed, **({"StatusReason": instance.berth_reason} if instance.berth_reason else {})})
        stopped = stopped or failures > _tolerance(preferences, len(targets))
    self.berth_results, self.berth_failed = results, stopped
    return [i.to_dict() for i in new]


cfn_models.StackInstances.create_instances = create_instances

_instance_to_dict = cfn_models.StackInstance.to_dict


def instance_to_dict(self):  # type: ignore[no-untyped-def]
    out = _instance_to_dict(self)
    out["StackId"] = self.stack.stack_id if self.stack is not None else None
    out["Status"] = getattr(self, "berth_status", "CURRENT")
    out["StackInstanceStatus"] = {"DetailedStatus": getattr(self, "berth_detailed", "SUCCEEDED")}
    if getattr(self, "berth_reason", None):
        out["StatusReason"] = self.berth_reason
    return {k: v for k, v in out.items() if v is not None}


cfn_models.StackInstance.to_dict = instance_to_dict

# Either permission model's instance stack is the account's own stack now (instance_init).
cfn_models.StackInstance.delete = lambda self: None if self.stack is None else cfn_models.cloudformation_backends[self.account_id][self.region_name].delete_stack(self.stack.stack_id)

_stackset_create_stack_instances = cfn_models.StackSet.create_stack_instances


def stackset_create_stack_instances(self, *args, **kwargs):  # type: ignore[no-untyped-def]
    operation_id = _stackset_create_stack_instances(self, *args, **kwargs)
    operation = self.get_operation(operation_id)
    operation["Status"] = "FAILED" if self.instances.berth_failed else "SUCCEEDED"
    operation["BerthResults"] = self.instances.berth_results
    return operation_id


cfn_models.StackSet.create_stack_instances = stackset_create_stack_instances

_stackset_update = cfn_models.StackSet.update


def stackset_update(self, template, description, parameters, tags, admin_role, execution_role, accounts, regions, operation_id):  # type: ignore[no-untyped-def]
    operation = _stackset_update(self, template, description, parameters, tags, admin_role, execution_role, accounts, regions, operation_id)
    self.instances.template = self.template  # instances created later get the new template (moto keeps the first)
    if accounts or regions or not template:
        return operation
    results = []
    for instance in self.stack_instances:
        if instance.stack is None or instance.stack.status == "ROLLBACK_COMPLETE":
            continue  # CloudFormation recreates these; not needed by berth's tests
        backend = cfn_models.cloudformation_backends[instance.account_id][instance.region_name]
        try:
            backend.update_stack(instance.stack.name, self.template, None, [], None)
            _settle(instance, "CURRENT", "SUCCEEDED")
            results.append({"Account": instance.account_id, "Region": instance.region_name, "Status": "SUCCEEDED"})
        except Exception as error:
            _settle(instance, "OUTDATED", "FAILED", str(error))
            results.append({"Account": instance.account_id, "Region": instance.region_name, "Status": "FAILED", "StatusReason": str(error)})
    operation["BerthResults"] = results
    operation["Status"] = "FAILED" if any(r["Status"] == "FAILED" for r in results) else "SUCCEEDED"
    return operation


cfn_models.StackSet.update = stackset_update

_list_results = cfn_responses.CloudFormationResponse.list_stack_set_operation_results


def list_stack_set_operation_results(self):  # type: ignore[no-untyped-def]
    operation = self.cloudformation_backend.list_stack_set_operation_results(self._get_param("StackSetName"), self._get_param("OperationId"))
    if "BerthResults" not in operation:
        return _list_results(self)
    return cfn_responses.ActionResult({"Summaries": operation["BerthResults"]})


cfn_responses.CloudFormationResponse.list_stack_set_operation_results = list_stack_set_operation_results

from moto.core import models as core_models, responses as core_responses  # noqa: E402
from moto.iam import models as iam_models  # noqa: E402

_current_account = core_responses.BaseResponse.get_current_account


def get_current_account(self):  # type: ignore[no-untyped-def]
    """A key moto issued (an assumed role's) acts in its own account; any other in MOTO_ACCOUNT_ID."""
    found = iam_models.get_account_id_from(self.get_access_key())
    return found if found != core_models.DEFAULT_ACCOUNT_ID else _current_account(self)


core_responses.BaseResponse.get_current_account = get_current_account

from moto.cloudformation import utils as cfn_utils  # noqa: E402

_yaml_tag_constructor = cfn_utils.yaml_tag_constructor


def yaml_tag_constructor(loader, tag, node):  # type: ignore[no-untyped-def]
    if tag == "!GetAtt" and isinstance(node, cfn_utils.yaml.SequenceNode):
        return {"Fn::GetAtt": loader.construct_sequence(node)}
    return _yaml_tag_constructor(loader, tag, node)


cfn_models.yaml_tag_constructor = cfn_responses.yaml_tag_constructor = yaml_tag_constructor

from urllib.parse import urlparse  # noqa: E402

from moto.cloudformation import responses as cfn_responses, utils as cfn_utils  # noqa: E402

_get_stack_from_s3_url = cfn_utils.get_stack_from_s3_url


def get_stack_from_s3_url(template_url, account_id, partition):  # type: ignore[no-untyped-def]
    """A template URL on this server's address, path-style, read as moto reads localhost's."""
    if urlparse(template_url).hostname == "127.0.0.1":
        template_url = template_url.replace("127.0.0.1", "localhost", 1)
    return _get_stack_from_s3_url(template_url, account_id=account_id, partition=partition)


cfn_responses.get_stack_from_s3_url = get_stack_from_s3_url
cfn_models.get_stack_from_s3_url = get_stack_from_s3_url

from moto.server import main  # noqa: E402  (after the patches)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
