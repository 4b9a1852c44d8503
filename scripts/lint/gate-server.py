"""The lint gates' warm start: one long-lived process per Python gate (cfn-lint, checkov, cfripper)
that has imported its tool once, and forks a copy of itself for every run.

    .venv/bin/python scripts/lint/gate-server.py <tool> <name> <idle seconds>

Why: most of what a gate costs on a small change is its tool starting, not linting. Measured on
2 cores, importing checkov takes 2.3 s of CPU before it reads a template (2.5 s for the whole run
over one service's template), cfn-lint 0.5 s and its rules and schemas most of the rest, cfripper
0.6 s; an edit to one service re-lints a handful of templates (scripts/lint/cache.ts), so the
start-ups were most of `make lint` after the edit. A child forked from a process that has already
imported the tool starts in milliseconds, and shares the imported code with its parent page for
page until it writes to it.

Every run is a fresh fork of the same imported image, so no run sees another's state. A request
names the arguments, the environment and the working folder, and the child takes them on before
the tool runs; what a tool reads from the environment at import (checkov's CHECKOV_* settings,
LOG_LEVEL, BERTH_LINT_STOCK) is fixed per server instead, so the client folds those variables into
the server's name (scripts/lint/gate-server.ts) and a run with other values gets another server.

The socket is in Linux's abstract namespace: nothing on disk to go stale, freed when the process
ends, and a name only one process can bind, so two clients starting the same server race safely.
Any local user could connect to an abstract socket, so a connection from another user is closed
unread (SO_PEERCRED). The server exits after <idle seconds> without a request, or when asked.

Protocol, one connection per run. The client sends one line of JSON:
    {"args": [...], "env": {...}, "cwd": "..."}   or   {"ping": true}   or   {"stop": true}
and for a run the child answers with one line of JSON, {"code": <exit code>, "stdout": <bytes>, "stderr":
<bytes>}, followed by the two outputs' bytes, in that order.
"""
import atexit
import importlib.util
import json
import os
import selectors
import signal
import socket
import struct
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_REQUEST = 4 * 1024 * 1024


def _driver(name):
    """One of the gate drivers beside this file, imported as a module (its `__main__` part not run)."""
    path = os.path.join(HERE, name)
    spec = importlib.util.spec_from_file_location("berth_" + name.replace("-", "_").removesuffix(".py"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path


def _cfn_lint():
    from cfnlint.runner import main

    def run(args):
        sys.argv = ["cfn-lint", *args]
        return main()

    return run


def _checkov():
    module, path = _driver("checkov-driver.py")

    def run(args):
        sys.argv = [path, *args]
        return module.main()

    return run


def _cfripper():
    module, path = _driver("cfripper-driver.py")

    def run(args):
        sys.argv = [path, *args]
        return module.main(*args)

    return run


TOOLS = {"cfn-lint": _cfn_lint, "checkov": _checkov, "cfripper": _cfripper}


def _exit_code(e):
    """What the interpreter would exit with for `sys.exit(e.code)`."""
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    print(e.code, file=sys.stderr)
    return 1


def _read_request(conn):
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > MAX_REQUEST:
            return None
    return json.loads(data)


def _serve_one(conn, run, request):
    """In the forked child: the run, as a process of its own would make it, and its answer."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # a tool that starts a process must be able to wait for it
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    tempfile.tempdir = None  # tempfile caches the folder it chose: choose again under this TMPDIR
    sys.stdout.flush()
    sys.stderr.flush()
    out, err = os.memfd_create("stdout"), os.memfd_create("stderr")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    try:
        code = run(request["args"])
        code = 0 if code is None else code
    except SystemExit as e:
        code = _exit_code(e)
    except BaseException:  # noqa: BLE001 - reported as the interpreter would, exit code 1
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()  # what the interpreter runs at exit
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001
            pass
    outputs = []
    for fd in (out, err):
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        outputs.append(b"".join(chunks))
    header = json.dumps({"code": code if isinstance(code, int) else 1, "stdout": len(outputs[0]), "stderr": len(outputs[1])})
    conn.sendall(header.encode() + b"\n" + outputs[0] + outputs[1])


def _listen(address):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(64)
    return listener


def serve(tool, name, idle):
    # numpy (which checkov imports) loads OpenBLAS, which starts a worker thread per core; a process
    # that forks should have only the thread that forks. The gates do no linear algebra.
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"
    # The name twice: Node 20 (its libuv) pads an abstract socket's name with NULs to the full
    # sun_path (108 bytes) when it connects; another version may send it as it is. The padded one
    # is bound first, so it decides which of two servers started at once serves.
    try:
        listeners = [_listen(("\0" + name).ljust(108, "\0")[:108])]
        listeners.append(_listen("\0" + name))
    except OSError:
        return 0  # another server has the name: it serves, this one is not needed
    run = TOOLS[tool]()
    selector = selectors.DefaultSelector()
    for listener in listeners:
        selector.register(listener, selectors.EVENT_READ)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    uid = os.getuid()
    while True:
        ready = selector.select(idle)
        if not ready:
            return 0
        for key, _ in ready:
            try:
                conn, _ = key.fileobj.accept()
            except OSError:
                continue
            if _handle(conn, uid, run, selector) == "stop":
                return 0


def _handle(conn, uid, run, selector):
    """One connection; "stop" when the server should end. A client that went away, or a fork the
    system refuses, costs that client its answer (it then runs the tool itself), never the server."""
    try:
        return _answer(conn, uid, run, selector)
    except OSError:
        conn.close()
        return None


def _answer(conn, uid, run, selector):
    try:
        conn.settimeout(10)
        _pid, peer_uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
        request = _read_request(conn) if peer_uid == uid else None
    except (OSError, ValueError):
        request = None
    if not isinstance(request, dict):
        conn.close()
        return None
    if request.get("stop"):
        # The name is free once the answer is sent, so a server started right after can take it.
        for key in list(selector.get_map().values()):
            key.fileobj.close()
        conn.sendall(b'{"stopped": true}\n')
        conn.close()
        return "stop"
    if request.get("ping"):  # answered once the tool is imported: the server is warm
        conn.sendall(b'{"pong": true}\n')
        conn.close()
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    if os.fork() == 0:
        try:
            for key in list(selector.get_map().values()):
                key.fileobj.close()
            selector.close()
            conn.settimeout(None)
            _serve_one(conn, run, request)
        finally:
            os._exit(0)
    conn.close()
    return None


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1], sys.argv[2], float(sys.argv[3])))
