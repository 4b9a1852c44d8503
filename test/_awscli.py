"""The AWS CLI as a long-lived process, for the deploy tests' describe calls.

Each line on stdin is a JSON list of CLI arguments (`["ec2", "describe-vpcs", ...]`); each answer
is one JSON line `{"status", "stdout", "stderr"}` on stdout. It runs the AWS CLI's own driver
(awscli.clidriver, the code behind `aws`), so the calls are exactly `aws ...` calls; only the
Python start-up (about 0.6 s per `aws` process) is paid once instead of per call.

    .venv/bin/python test/_awscli.py
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
