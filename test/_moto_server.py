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
- A CommaDelimitedList (or List<...>) parameter left at its Default is a list in CloudFormation,
  as when it is passed (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html);
  moto splits passed values only, so `!Select [0, !Ref Cidrs]` of a default takes its first character.
- A resource whose creation fails gets a CREATE_FAILED event naming it (moto records none), as
  CloudFormation's events do; the rollback patch below adds it.
- Stack sets (self-managed), which moto completes at once and always as SUCCEEDED:
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
    """A stack that fails to create leaves the instance OUTDATED and FAILED, with its stack (rolled back)."""
    _settle(self, "CURRENT", "SUCCEEDED")
    try:
        _instance_init(self, account_id, region_name, stackset_id, stack_name, name, template, parameters, permission_model)
    except Exception as error:
        backend = cfn_models.cloudformation_backends[account_id][region_name]
        self.stack = next((s for s in backend.stacks.values() if s.name == f"StackSet:{name}"), None)
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

_instance_delete = cfn_models.StackInstance.delete
cfn_models.StackInstance.delete = lambda self: None if self.stack is None else _instance_delete(self)

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

from moto.server import main  # noqa: E402  (after the patches)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
