#!/usr/bin/env python3
"""Headless runner for tslab (TypeScript) notebooks.

usage: run_notebook.py NOTEBOOK.ipynb [--out-dir DIR] [--kernel tslab] [--cwd DIR]
                       [--timeout 120] [--no-html] [--no-code-html] [--allow-async-errors]

Exit codes: 0 = every code cell ran with status "ok"
            1 = a cell failed (status "error"/"abort", or an async
                UncaughtException / UnhandledPromiseRejection on stderr),
                or code cells were never executed
            2 = kernel/runner problem (kernel did not start, timeout, bad args)

Why not plain `jupyter nbconvert --execute`: tslab sends execute_reply
{status: "error"} WITHOUT ename/evalue/traceback and no "error" output; the
message is only in a "stderr" stream output.  After an error tslab aborts
(status "abort", no outputs) every request that arrives within 200 ms, and
tslab never sends execute_input, so execution_count is not kernel-reported.
This runner records every execute_reply via nbclient's on_cell_executed hook.
"""
import argparse
import asyncio
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ASYNC_ERROR_MARKERS = ("UncaughtException:", "UnhandledPromiseRejection:")


def stream_text(cell, name):
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == name)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("--out-dir", default=None, help="default: <notebook dir>/_executed")
    ap.add_argument("--kernel", default=None, help="default: notebook metadata kernelspec.name or 'tslab'")
    ap.add_argument("--cwd", default=None, help="kernel working dir (tslab rootDir!); default: notebook dir")
    ap.add_argument("--timeout", type=int, default=120, help="per-cell timeout, seconds")
    ap.add_argument("--startup-timeout", type=int, default=60)
    ap.add_argument("--no-html", action="store_true")
    ap.add_argument("--no-code-html", action="store_true",
                    help="also write NAME-no-code.html: the report without code, as nbconvert --no-input")
    ap.add_argument("--report", default=None, help="also write the outcome as JSON to this file")
    ap.add_argument("--allow-async-errors", action="store_true",
                    help="do not fail on UncaughtException/UnhandledPromiseRejection in stderr")
    args = ap.parse_args(argv)

    nb_path = os.path.abspath(args.notebook)
    nb = nbformat.read(nb_path, as_version=4)
    kernel = args.kernel or nb.metadata.get("kernelspec", {}).get("name") or "tslab"
    cwd = os.path.abspath(args.cwd or os.path.dirname(nb_path))
    out_dir = os.path.abspath(args.out_dir or os.path.join(os.path.dirname(nb_path), "_executed"))
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.splitext(os.path.basename(nb_path))[0]

    replies = {}  # cell index -> execute_reply content
    current = {"index": None}  # cell sent to the kernel last

    def on_execute(cell, cell_index):
        current["index"] = cell_index

    def on_executed(cell, cell_index, execute_reply):
        replies[cell_index] = execute_reply["content"] if execute_reply else None

    async def on_error(cell, cell_index, execute_reply):
        # tslab aborts requests arriving <200 ms after an error; if the cell is
        # tagged "raises-exception" (allowed), wait so the next cell really runs.
        await asyncio.sleep(0.3)

    client = NotebookClient(
        nb, kernel_name=kernel, timeout=args.timeout, startup_timeout=args.startup_timeout,
        allow_errors=False, record_timing=True,
        resources={"metadata": {"path": cwd}},
        on_cell_execute=on_execute, on_cell_executed=on_executed, on_cell_error=on_error,
    )

    t0 = time.time()
    runner_error = None
    exit_code = 0
    try:
        client.execute()
    except CellExecutionError:
        pass  # classified below from the recorded replies
    except Exception as e:  # CellTimeoutError, DeadKernelError, NoSuchKernel, FileNotFoundError (bad argv[0]) ...
        runner_error = f"{type(e).__name__}: {e}"
        exit_code = 2
    elapsed = time.time() - t0

    failures, skipped = [], []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        reply = replies.get(i)
        if reply is None and runner_error and i == current["index"]:
            cell.metadata["runner"] = {"status": "runner-error"}
            failures.append((i, "runner-error", runner_error))
            continue
        if reply is None:
            skipped.append(i)
            cell.metadata["runner"] = {"status": "not-executed"}
            continue
        status = reply.get("status")
        stderr = stream_text(cell, "stderr")
        allowed = "raises-exception" in cell.metadata.get("tags", [])
        if status == "ok" and not args.allow_async_errors and any(m in stderr for m in ASYNC_ERROR_MARKERS):
            status = "async-error"
        cell.metadata["runner"] = {"status": status}
        if status != "ok" and not (allowed and status == "error"):
            msg = stderr.strip() or ("aborted by tslab (request arrived <200ms after a previous error)"
                                     if status == "abort" else "(no error text)")
            failures.append((i, status, msg))

    nb.metadata["runner"] = {"kernel": kernel, "cwd": cwd, "elapsed_s": round(elapsed, 2),
                             "failures": [f[0] for f in failures], "not_executed": skipped}
    out_nb = os.path.join(out_dir, base + ".ipynb")
    nbformat.write(nb, out_nb)
    print(f"wrote {out_nb}  ({elapsed:.1f}s, kernel={kernel}, cwd={cwd})")
    if not args.no_html:
        from nbconvert import HTMLExporter
        forms = [("", {})]
        if args.no_code_html:
            # What nbconvert's --no-input sets: code cells' inputs and prompts hidden, outputs kept,
            # for readers who want the story without the code.
            forms.append(("-no-code", {"exclude_input": True, "exclude_input_prompt": True, "exclude_output_prompt": True}))
        for suffix, options in forms:
            html, _ = HTMLExporter(**options).from_notebook_node(nb)
            out_html = os.path.join(out_dir, base + suffix + ".html")
            with open(out_html, "w", encoding="utf-8") as f:
                f.write(html)
            print(f"wrote {out_html}")

    if exit_code == 0 and (failures or skipped):
        exit_code = 1
    if args.report:
        import json
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump({"notebook": nb_path, "executed": out_nb, "exit_code": exit_code, "elapsed_s": round(elapsed, 2),
                       "runner_error": runner_error, "not_executed": skipped,
                       "failures": [{"cell": i, "status": st, "message": m} for i, st, m in failures]}, f, indent=1)
    if runner_error:
        print(f"RUNNER ERROR: {runner_error}", file=sys.stderr)
    for i, status, msg in failures:
        print(f"CELL {i} FAILED ({status}):\n{msg}\n", file=sys.stderr)
    if skipped:
        print(f"CELLS NOT EXECUTED: {skipped}", file=sys.stderr)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
