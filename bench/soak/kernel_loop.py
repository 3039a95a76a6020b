#!/usr/bin/env python3
"""A notebook kernel running the story's cells in a loop, for the soak benchmark.

usage: kernel_loop.py CELLS.json --cwd DIR --stop-file FILE [--kernel tslab] [--deadline EPOCH_S]
                      [--timeout 300] [--pass-seconds 0]

CELLS.json: {"setup": [source...], "loop": [{"section": str, "source": str}...], "teardown": [source...]}
(bench/soak/story-cells.ts chooses them from notebooks/01-ten-minute-story.ipynb).

One kernel (jupyter_client, the same kernelspec nbclient and JupyterLab start) runs the setup
cells once, then the loop cells over and over (a pass starting at most every --pass-seconds) until the stop file exists, the deadline passes or
SIGTERM arrives, then the teardown cells, and shuts the kernel down. One JSON line per event on
stdout: {"event": "kernel", "pid": N}, {"event": "cell", "phase", "iteration", "section", "ms",
"ok", "error"}, {"event": "end", "iterations": N}. Exit 0; 2 when the kernel cannot start or dies.

Like stack/jupyter/run_notebook.py, a failure is read from the execute reply's status and the
cell's stderr: tslab sends error replies without ename/evalue, and aborts requests that arrive
within 200 ms of an error, so the loop waits 300 ms after one.
"""
import argparse
import json
import os
import signal
import sys
import time

from jupyter_client.manager import KernelManager


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def run_cell(km, kc, source, timeout):
    """Executes one cell; returns (ok, error text). Outputs (charts, tables) are read and dropped."""
    msg_id = kc.execute(source, store_history=False, allow_stdin=False)
    stderr = []
    deadline = time.time() + timeout
    while True:
        left = deadline - time.time()
        if left <= 0:
            km.interrupt_kernel()
            return False, f"cell timed out after {timeout} s"
        try:
            msg = kc.get_iopub_msg(timeout=min(left, 5))
        except Exception:  # queue.Empty: keep waiting until the deadline, unless the kernel died
            if not kc.is_alive():
                raise RuntimeError("the kernel died")
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "stream" and msg["content"].get("name") == "stderr":
            stderr.append(msg["content"].get("text", ""))
        elif kind == "error":
            stderr.append(msg["content"].get("evalue", "") or msg["content"].get("ename", ""))
        elif kind == "status" and msg["content"].get("execution_state") == "idle":
            break
    while True:
        reply = kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    status = reply["content"].get("status")
    text = "".join(stderr).strip()
    if status != "ok":
        return False, text or f"status {status}"
    if "UncaughtException:" in text or "UnhandledPromiseRejection:" in text:
        return False, text
    return True, None


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("cells")
    ap.add_argument("--cwd", required=True, help="the kernel's working directory (tslab's rootDir: the project root)")
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--deadline", type=float, default=None, help="epoch seconds after which no new iteration starts")
    ap.add_argument("--timeout", type=int, default=300, help="seconds one cell may take")
    ap.add_argument("--pass-seconds", type=float, default=0, help="least seconds between the starts of two passes (0: back to back)")
    args = ap.parse_args(argv)
    with open(args.cells, encoding="utf-8") as f:
        cells = json.load(f)

    stopping = {"now": False}

    def on_term(signum, frame):
        stopping["now"] = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    def should_stop():
        return stopping["now"] or os.path.exists(args.stop_file) or (args.deadline is not None and time.time() > args.deadline)

    km = KernelManager(kernel_name=args.kernel)
    try:
        km.start_kernel(cwd=os.path.abspath(args.cwd))
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
    except Exception as e:  # NoSuchKernel, a kernel that exits at start
        emit({"event": "error", "error": f"the {args.kernel} kernel did not start: {type(e).__name__}: {e}"})
        try:
            km.shutdown_kernel(now=True)
        except Exception:
            pass
        return 2
    emit({"event": "kernel", "pid": km.provisioner.pid if km.provisioner else None})

    def run(phase, iteration, section, source):
        t0 = time.time()
        ok, error = run_cell(km, kc, source, args.timeout)
        emit({"event": "cell", "phase": phase, "iteration": iteration, "section": section, "ms": round((time.time() - t0) * 1000, 1), "ok": ok, "error": (error or "")[:500] or None})
        if not ok:
            time.sleep(0.3)
        return ok

    code = 0
    iterations = 0
    try:
        for source in cells["setup"]:
            run("setup", 0, "setup", source)
        while not should_stop():
            iterations += 1
            started = time.time()
            for cell in cells["loop"]:
                if should_stop():
                    break
                run("loop", iterations, cell["section"], cell["source"])
            while not should_stop() and time.time() < started + args.pass_seconds:
                time.sleep(0.25)
        for source in cells["teardown"]:
            run("teardown", iterations, "teardown", source)
    except RuntimeError as e:
        emit({"event": "error", "error": str(e)})
        code = 2
    finally:
        emit({"event": "end", "iterations": iterations})
        try:
            kc.stop_channels()
            km.shutdown_kernel(now=False)
        except Exception:
            km.shutdown_kernel(now=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
