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
- A stack created or updated through a change set (what `aws cloudformation deploy` does) has
  no outputs in moto: `execute_change_set` applies the resources but keeps the output map of the
  template the stack had before. CloudFormation reports a stack's outputs however it was created
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html), and
  the layer walkthrough (docs/local.md) reads them with `describe-stacks`. The patch re-reads the
  executed template and rebuilds the output map.
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

from moto.server import main  # noqa: E402  (after the patches)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
