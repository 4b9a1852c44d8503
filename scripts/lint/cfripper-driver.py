"""Gate 5's runner: cfripper (pinned in requirements.txt) over the templates given, in one process.

    .venv/bin/python scripts/lint/cfripper-driver.py '[{"file": "output/prod/network.yaml", "regions": ["eu-west-1"]}, ...]'

Prints one JSON object: per file, the rules that ran, the findings (one per rule and resource)
and the suppressions, which a resource declares in its own Metadata as for checkov:

    Metadata:
      cfripper:
        skip:
          - id: EC2SecurityGroupOpenToWorldRule
            comment: why this resource is an exception

cfripper's own exception mechanism (rule filters in Python files) would keep the reasons away
from the resources they excuse; a skip without a comment is reported as a finding.

cfripper reads the template as written. Where its model has no room for an intrinsic function (a
bucket policy's principal chosen by `Fn::If`), the rule that could not read it runs again on the
template resolved, as CloudFormation would, for each Region the template deploys to: every branch
a deployment can take is checked, none is skipped.
"""
import functools
import json
import logging
import os
import re
import sys

import cfn_flip
import cfn_tools.yaml_loader
import pycfmodel
import pycfmodel.action_expander
import pycfmodel.model.resources.properties.statement
import pycfmodel.utils
from cfripper.config.config import Config
from cfripper.config.pluggy.utils import get_all_rules
from cfripper.model.utils import convert_json_or_yaml_to_dict
import yaml

MAX_LISTED = 5

# pycfmodel expands each action of each policy statement by matching it against every IAM action it
# knows (about 22,000 regular-expression matches per action), again for every statement and rule
# that asks: measured with cProfile over berth's 32 templates, 13.7 s of cfripper's 18.5 s. The
# expansion is a pure function of the action, so each distinct one is expanded once; callers get a
# list of their own, as before.
#
# And each expansion looks only where a match can be. pycfmodel's pattern for an action is the
# action itself, anchored, case-insensitive, with `*` as `.*` and `?` as `.{1}`. An action of
# letters, digits, `:`, `_` and `-` alone (most of them: `ecs:DescribeServices`) matches only itself,
# ignoring case: one lookup instead of 22,000 matches. One with wildcards but otherwise such
# characters, and a literal `service:` before its first wildcard, matches only actions of that
# service. Anything else (a `*:Get*`, a character the pattern would read as a regular expression) is
# matched against every action, as pycfmodel does. Measured over the 250-service estate's
# portfolio (438 distinct actions): 2.25 s of 2.36 s to expand them before, under 0.1 s after.
_expand_action = pycfmodel.action_expander._expand_action
_ACTIONS = pycfmodel.action_expander.CLOUDFORMATION_ACTIONS
_LITERAL = re.compile(r"[A-Za-z0-9:_-]*")
_WILDCARDED = re.compile(r"[A-Za-z0-9:_*?-]*")
_BY_NAME = {}
_BY_SERVICE = {}
for _action in _ACTIONS:
    _BY_NAME.setdefault(_action.lower(), []).append(_action)
    _BY_SERVICE.setdefault(_action.split(":", 1)[0].lower(), []).append(_action)


def _expand_in(action, not_action=False):
    """pycfmodel's `_expand_action(action, not_action)` for a string action, looking only where a match can be."""
    head = _LITERAL.match(action).group(0)
    if head == action:
        matched = set(_BY_NAME.get(action.lower(), ()))
    elif ":" in head and _WILDCARDED.fullmatch(action):
        pattern = pycfmodel.utils.regex_from_cf_string(action)
        matched = {a for a in _BY_SERVICE.get(head.split(":", 1)[0].lower(), ()) if pattern.match(a)}
    else:
        return _expand_action(action, not_action=not_action)
    return sorted(set(_ACTIONS) - matched) if not_action else sorted(matched)


@functools.lru_cache(maxsize=None)
def _expanded(action, not_action):
    return tuple(_expand_in(action, not_action=not_action))


def _expand_action_once(action, not_action=False):
    if not isinstance(action, str):
        return _expand_action(action, not_action=not_action)  # raises, as pycfmodel does
    return list(_expanded(action, not_action))


# cfripper reads a YAML template through cfn-flip, which loads it with PyYAML's pure-Python
# loader: measured with cProfile over 60 templates of the 250-service estate, 7.8 s of cfripper's
# 10.1 s went to scanning and parsing YAML. The same loader on libyaml's parser (what cfn-lint and
# checkov already use) builds the same document: the constructors, and so the ODicts and the
# `!Ref`/`!GetAtt` forms, are cfn-flip's own; only the scanning and parsing move to C.
class _CfnYamlCLoader(yaml.CSafeLoader):
    pass


_CfnYamlCLoader.add_constructor(cfn_tools.yaml_loader.TAG_MAP, cfn_tools.yaml_loader.construct_mapping)
_CfnYamlCLoader.add_multi_constructor("!", cfn_tools.yaml_loader.multi_constructor)


def _load_yaml_c(source):
    return yaml.load(source, Loader=_CfnYamlCLoader)


# BERTH_LINT_STOCK=1 leaves pycfmodel and cfn-flip as they are: test/lint-main.test.ts compares the two.
if os.environ.get("BERTH_LINT_STOCK") != "1":
    pycfmodel.action_expander._expand_action = _expand_action_once
    pycfmodel.model.resources.properties.statement._expand_action = _expand_action_once
    if yaml.__with_libyaml__:  # PyYAML's wheels bundle libyaml; a source build may not
        cfn_flip.load_yaml = _load_yaml_c


def skips_of(template):
    out = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        meta = (resource or {}).get("Metadata") or {}
        entries = ((meta.get("cfripper") or {}).get("skip")) or []
        out[logical_id] = {str(e.get("id")): str(e.get("comment") or "").strip() for e in entries if isinstance(e, dict)}
    return out


def run_rule(rule, model):
    """The rule's failures, or the exception it raised."""
    try:
        result = rule.invoke(model)
    except Exception as e:  # noqa: BLE001 - cfripper's processor catches the same way
        return None, e
    if result.exceptions:
        return None, result.exceptions[0]
    return result.failures, None


def check(template, regions, rules, config):
    """(rule, resource) -> reasons; and the errors of rules that could read the template in no form."""
    found, errors = {}, []
    model = pycfmodel.parse(template)
    for name, rule in rules:
        failures, error = run_rule(rule, model)
        if error is not None:
            failures = []
            for region in regions:
                resolved = pycfmodel.parse(template).resolve(extra_params={"AWS::Region": region})
                more, error2 = run_rule(rule, resolved)
                if error2 is not None:
                    errors.append(f"{name} ({region}): {type(error2).__name__}: {error2}")
                    continue
                failures.extend(more)
        for failure in failures:
            for resource in sorted(failure.resource_ids or ["(template)"]):
                key = (failure.rule, resource)
                found.setdefault(key, {"reasons": [], "risk": failure.risk_value.value if failure.risk_value else ""})
                if failure.reason not in found[key]["reasons"]:
                    found[key]["reasons"].append(failure.reason)
    return found, errors


def main(arg):
    logging.disable(logging.CRITICAL)  # cfripper logs every resource type it has no model for
    all_rules = get_all_rules()
    config = Config(rules=all_rules.keys())
    rules = [(name, all_rules[name](config)) for name in config.rules]
    report = {}
    for item in json.loads(arg):
        file = item["file"]
        entry = {"rules": len(rules), "failures": [], "skips": [], "errors": []}
        report[file] = entry
        try:
            with open(file, encoding="utf-8") as f:
                template = convert_json_or_yaml_to_dict(f.read())
            found, errors = check(template, item["regions"], rules, config)
        except Exception as e:  # a template cfripper cannot read fails the gate, it is not skipped
            entry["errors"].append(f"{type(e).__name__}: {e}")
            continue
        entry["errors"].extend(errors)
        skips = skips_of(template)
        for (rule, resource), f in sorted(found.items()):
            reasons = f["reasons"]
            # One finding per rule and resource: a wildcard rule names each action on its own.
            message = reasons[0] if len(reasons) == 1 else f"{len(reasons)} findings: " + "; ".join(reasons[:MAX_LISTED]) + ("; ..." if len(reasons) > MAX_LISTED else "")
            finding = {"resource": resource, "rule": rule, "message": message, "risk": f["risk"]}
            comment = skips.get(resource, {}).get(rule)
            if comment is None:
                entry["failures"].append(finding)
            elif not comment:
                entry["failures"].append({**finding, "message": f"skipped in Metadata without a comment ({message})"})
            else:
                entry["skips"].append({**finding, "message": comment})
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
