"""The AWS CLI as a long-lived process: the deploy preflight's calls and the deploy tests' calls.

Each line on stdin is a JSON list of CLI arguments (`["ec2", "describe-vpcs", ...]`); each answer
is one JSON line `{"status", "stdout", "stderr"}` on stdout. It runs the AWS CLI's own driver
(awscli.clidriver, the code behind `aws`), so each call is exactly an `aws ...` call (credentials,
profiles, AWS_ENDPOINT_URL, retries, signing); only the Python start-up (about 0.5 s per `aws`
process) is paid once instead of per call. Run it with the Python the `aws` script names:

    .venv/bin/python scripts/deploy-awscli.py
"""
import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout

from awscli.clidriver import create_clidriver

driver = create_clidriver()
answers = sys.stdout
for line in sys.stdin:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            status = driver.main(json.loads(line))
        except SystemExit as e:  # argument errors exit
            status = e.code if isinstance(e.code, int) else 1
    answers.write(json.dumps({"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}) + "\n")
    answers.flush()
