"""
moto_server (pinned moto 5.2.5) with fixes for the moto bugs that reject valid berth templates.
Run as `.venv/bin/python test/_moto_server.py -H 127.0.0.1 -p PORT`, like moto_server itself.

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
When a moto upgrade fixes a bug, its patch here becomes a no-op and can go.
"""
import sys

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
        stack.status = "ROLLBACK_IN_PROGRESS"
        stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=f"The following resource(s) failed to create: {error}")
        _delete_resources(stack.resource_map)
        stack.status = "ROLLBACK_COMPLETE"
        stack._add_stack_event("ROLLBACK_COMPLETE")
        raise


cfn_models.CloudFormationBackend.create_stack = create_stack

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

from moto.server import main  # noqa: E402  (after the patches)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
