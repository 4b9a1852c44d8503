"""Loads YAML documents the way AWS's own Python tools do, for test/yaml-roundtrip.test.ts.

Reads a JSON list of YAML texts on stdin; writes a JSON list with, for each text, what two
loaders make of it, intrinsics in CloudFormation's long form:
- "cfnlint": cfn-lint's loader (cfnlint.decode.cfn_yaml.loads; libyaml when PyYAML has it);
- "awscli": the loader `aws cloudformation package` parses templates with
  (awscli.customizations.cloudformation.yamlhelper.yaml_parse; pure-Python PyYAML).
A value JSON cannot tell apart from a string is marked, so a test comparing with the strings it
wrote sees the difference: a key that is not a string, a date, a float that stands for an integer.
"""
import datetime
import json
import sys

from awscli.customizations.cloudformation.yamlhelper import yaml_parse
from cfnlint.decode.cfn_yaml import loads


def plain(value):
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                key = "NOT A STRING KEY: " + repr(key)
            out[str(key)] = plain(item)
        return out
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, (datetime.date, datetime.datetime, bytes, set)):
        return "NOT A STRING: " + repr(value)
    if isinstance(value, str):
        return str(value)
    return value


def load(loader, text):
    try:
        return {"value": plain(loader(text))}
    except Exception as error:  # a parse error is a result the test reports
        return {"error": type(error).__name__ + ": " + str(error).split("\n")[0]}


texts = json.load(sys.stdin)
json.dump([{"cfnlint": load(loads, t), "awscli": load(yaml_parse, t)} for t in texts], sys.stdout)
