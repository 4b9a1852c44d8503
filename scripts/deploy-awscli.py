"""The AWS CLI as a long-lived process: the calls of scripts/deploy.sh, of its preflight and of the deploy tests.

Each line on stdin is a JSON list of CLI arguments (`["ec2", "describe-vpcs", ...]`); each answer
is one JSON line `{"status", "stdout", "stderr"}` on stdout. It runs the AWS CLI's own driver
(awscli.clidriver, the code behind `aws`), so each call is exactly an `aws ...` call (credentials,
profiles, AWS_ENDPOINT_URL, retries, signing); only the Python start-up (about 0.5 s per `aws`
process) is paid once instead of per call. Run it with the Python the `aws` script names:

    .venv/bin/python scripts/deploy-awscli.py

With `--files` (scripts/deploy.sh, which is bash and reads no JSON), each request is one line of
NUL-separated fields: the file for the call's stdout, the file for its stderr, then the CLI
arguments; the answer is the exit status on a line of its own.
"""
import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout

answers = sys.stdout
_driver = None


def driver():
    """The CLI's driver, made at the first call: scripts/deploy.sh starts this process before its
    preflight, which may stop on its flags with no call to AWS, and importing the CLI is most of
    the 0.5 s of CPU this process costs."""
    global _driver
    if _driver is None:
        from awscli.clidriver import create_clidriver

        _driver = create_clidriver()
    return _driver


def run_to_files():
    for line in sys.stdin.buffer:
        status = 255
        try:
            out_path, err_path, *args = [f.decode("utf-8", "surrogateescape") for f in line.rstrip(b"\n").split(b"\0")[:-1]]
            with open(out_path, "w", encoding="utf-8") as out, open(err_path, "w", encoding="utf-8") as err:
                with redirect_stdout(out), redirect_stderr(err):
                    try:
                        status = driver().main(args)
                    except SystemExit as e:  # argument errors exit
                        status = e.code if isinstance(e.code, int) else 1
                    except Exception as e:  # never leave the caller without an answer
                        print(f"aws: {e}", file=sys.stderr)
                        status = 255
        except Exception as e:  # an unreadable request or output file: answered, with no output
            print(f"scripts/deploy-awscli.py: {e}", file=sys.stderr)
            status = 255
        answers.write(f"{status}\n")
        answers.flush()


if sys.argv[1:] == ["--files"]:
    run_to_files()
    sys.exit(0)

for line in sys.stdin:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            status = driver().main(json.loads(line))
        except SystemExit as e:  # argument errors exit
            status = e.code if isinstance(e.code, int) else 1
    answers.write(json.dumps({"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}) + "\n")
    answers.flush()
