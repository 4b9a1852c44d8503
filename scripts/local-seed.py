"""
Seeds a local AWS endpoint (scripts/local-aws.py, started by `make local`) with what the estate
registry needs and moto cannot make: the cluster layer's entries. moto 5.2.5 has no
AWS::ECS::CapacityProvider, so the cluster stack cannot be created there (docs/local.md); the
service layers read `/berth/<env>/cluster-name` and `/berth/<env>/capacity-provider-name` from
SSM (templates/stacks/shared/registry.ts), and their ECS service needs the cluster to exist.
This creates the ECS cluster `berth-<env>` and both parameters, as the cluster stack would, in
each environment's Region.

    .venv/bin/python scripts/local-seed.py ENDPOINT '[{"env": "dev", "region": "eu-west-1"}, ...]'

Prints one line per entry made. Uses boto3 (a dependency of moto) against ENDPOINT only.
"""
import json
import sys

import boto3


def main(endpoint: str, environments: list) -> None:  # type: ignore[type-arg]
    for e in environments:
        env, region = e["env"], e["region"]
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
        ecs = session.client("ecs", endpoint_url=endpoint)
        ssm = session.client("ssm", endpoint_url=endpoint)
        cluster = f"berth-{env}"
        ecs.create_cluster(clusterName=cluster)
        print(f"{env} ({region}): ECS cluster {cluster}")
        for key, value in (("cluster-name", cluster), ("capacity-provider-name", f"{cluster}-ec2")):
            ssm.put_parameter(Name=f"/berth/{env}/{key}", Type="String", Value=value, Overwrite=True)
            print(f"{env} ({region}): SSM /berth/{env}/{key} = {value}")


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
