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
- moto runs a Lambda function's code only in Docker, which the tests do not have, so a
  Lambda-backed custom resource (the network stack's: templates/stacks/shared/vpc-defaults.ts)
  would never answer. A Python function with inline code (`Code.ZipFile`) runs here in a
  subprocess instead, with its real code: its SDK calls reach this server (AWS_ENDPOINT_URL) and
  it answers CloudFormation at the URL in the event, which moto makes on this server's port.
  CloudFormation waits for a custom resource's answer before it creates what depends on it
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-custom-resources.html);
  moto reads the attributes at once, so the function runs before moto goes on, and the answer
  does not make moto finish the stack's other resources from the answering request.
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

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import zipfile  # noqa: E402
import io  # noqa: E402

from moto import settings as moto_settings  # noqa: E402
from moto.awslambda import models as lambda_models  # noqa: E402
from moto.cloudformation import custom_model  # noqa: E402

_PORT = sys.argv[sys.argv.index("-p") + 1] if "-p" in sys.argv else "5000"
os.environ["MOTO_PORT"] = _PORT
moto_settings.moto_server_host.cache_clear()
moto_settings.moto_server_host = lambda: "http://127.0.0.1"  # type: ignore[assignment]
custom_model.settings.moto_server_host = moto_settings.moto_server_host  # type: ignore[attr-defined]

_invoke_lambda = lambda_models.LambdaFunction._invoke_lambda


def invoke_lambda(self, event=None):  # type: ignore[no-untyped-def]
    """A Python function with inline code runs in a subprocess, against this server."""
    if not str(self.run_time or "").startswith("python") or not self.code_bytes:
        return _invoke_lambda(self, event)
    module, _, function = (self.handler or "index.handler").rpartition(".")
    with tempfile.TemporaryDirectory(prefix="berth-lambda-") as code:
        with zipfile.ZipFile(io.BytesIO(self.code_bytes)) as z:
            z.extractall(code)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{_PORT}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "PYTHONPATH": code,
        }
        run = subprocess.run(
            [sys.executable, "-c", f"import json, sys, {module} as m; print(json.dumps(m.{function}(json.loads(sys.stdin.read()), None)))"],
            input=event if isinstance(event, str) else json.dumps(event),
            capture_output=True, text=True, env=env, timeout=120,
        )
    return run.stdout, run.returncode != 0, run.stderr


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

from moto.server import main  # noqa: E402  (after the patches)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
