"""
moto_server (pinned moto 5.2.5) with fixes for the moto bugs that reject valid berth templates.
Run as `.venv/bin/python test/_moto_server.py -H 127.0.0.1 -p PORT`, like moto_server itself.

Each patch fixes moto, never berth's templates, and names the behaviour AWS documents:
- AWS::KMS::Key Tags are `Key`/`Value` pairs in CloudFormation
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html#cfn-kms-key-tags),
  but moto's CloudFormation handler passes them to the KMS API's tagger, which expects
  `TagKey`/`TagValue`, raises KeyError 'TagKey' and answers HTTP 500.
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

from moto.server import main  # noqa: E402  (after the patches)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
