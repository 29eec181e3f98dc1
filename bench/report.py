#!/usr/bin/python3
"""Table of bench/run-cpu-bench.sh: dnnc (Google Benchmark JSON of
dnnc-bench-predict) against PyTorch (JSON of bench/torch_predict.py), printed
and written into docs/performance.md between the results markers (the text
around them is kept; the section is appended when the markers are missing).

  report.py --dnnc mlp.dnnc.json lenet5.dnnc.json --torch mlp.torch.json ...
            --dnnc-bin build/bin/dnnc [--doc docs/performance.md] [--note TEXT]
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

BEGIN = "<!-- results:begin (written by bench/run-cpu-bench.sh) -->"
END = "<!-- results:end -->"
NAME = re.compile(r"^predict/(?P<model>[^/]+)/batch:(?P<batch>\d+)/threads:(?P<threads>\d+)")


def dnnc_results(paths):
    """(model, batch, threads) -> samples/s: the median over repetitions
    (or the single run when there were none)."""
    single, median = {}, {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        for b in data["benchmarks"]:
            m = NAME.match(b.get("run_name", b["name"]))
            if not m or "items_per_second" not in b:
                continue
            key = (m["model"], int(m["batch"]), int(m["threads"]))
            if b.get("run_type") == "aggregate":
                if b.get("aggregate_name") == "median":
                    median[key] = b["items_per_second"]
            else:
                single.setdefault(key, []).append(b["items_per_second"])
    out = {k: sorted(v)[len(v) // 2] for k, v in single.items()}
    out.update(median)
    return out


def torch_results(paths):
    out, meta, checks = {}, {}, {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        meta = data
        for r in data["results"]:
            out[(r["model"], r["batch"], r["threads"])] = r["samples_per_second"]
        checks[data.get("model", path)] = data["check"]
    meta["checks"] = checks
    return out, meta


def run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine(args, torch_meta):
    lscpu = {}
    for line in run(["lscpu"]).splitlines():
        key, _, value = line.partition(":")
        lscpu[key.strip()] = value.strip()
    cpus = lscpu.get("CPU(s)", str(os.cpu_count()))
    cores = lscpu.get("Core(s) per socket", "?")
    sockets = lscpu.get("Socket(s)", "?")
    tpc = lscpu.get("Thread(s) per core", "?")
    cpu = lscpu.get("Model name", platform.processor() or "unknown")
    hyper = lscpu.get("Hypervisor vendor")
    os_name = platform.platform()
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    dnnc = run([args.dnnc_bin, "--version"]).splitlines()
    parallel = torch_meta.get("torch_parallel", "")
    backend = re.search(r"ATen parallel backend: (.*)", parallel)
    rows = [
        ("CPU", f"{cpu}" + (f" (virtual machine, {hyper})" if hyper else "")),
        ("Cores", f"{cpus} CPUs: {sockets} socket(s) x {cores} core(s) x {tpc} thread(s)"),
        ("OS", f"{os_name}, Linux {platform.release()}"),
        ("dnnc", dnnc[0] if dnnc else "unknown"),
        ("PyTorch", f"{torch_meta.get('torch_version', 'unknown')} (Debian python3-torch; "
                    f"parallel backend {backend.group(1) if backend else '?'}; "
                    f"BLAS {torch_meta.get('blas') or '?'})"),
        ("Date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
    ]
    if args.note:
        rows.append(("Note", args.note))
    return rows


def fmt(v):
    return f"{v:,.0f}" if v is not None else "n/a"


def table(dnnc, torch):
    keys = sorted(set(dnnc) | set(torch), key=lambda k: (k[0] != "mlp", k[0], k[1], k[2]))
    lines = ["| model | batch | threads | dnnc samples/s | PyTorch samples/s | dnnc / PyTorch |",
             "|---|---:|---:|---:|---:|---:|"]
    for key in keys:
        d, t = dnnc.get(key), torch.get(key)
        ratio = f"{d / t:.2f}" if d and t else "n/a"
        lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {fmt(d)} | {fmt(t)} | {ratio} |")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dnnc", nargs="+", required=True, help="dnnc-bench-predict JSON files")
    ap.add_argument("--torch", nargs="+", required=True, help="torch_predict.py JSON files")
    ap.add_argument("--dnnc-bin", required=True)
    ap.add_argument("--doc", help="markdown file to update")
    ap.add_argument("--note", help="a line added to the machine description")
    args = ap.parse_args()

    dnnc = dnnc_results(args.dnnc)
    torch, meta = torch_results(args.torch)
    rows = table(dnnc, torch)
    info = machine(args, meta)

    checks = []
    for model, c in sorted(meta.get("checks", {}).items()):
        checks.append(f"{model}: max |probs difference| {c['max_abs_diff_probs']:.1e} on a "
                      f"batch of {c['batch']}, predicted equal on {c['predicted_equal']}"
                      f"/{c['batch']}")

    section = ["Machine:", ""]
    section += [f"- **{k}**: {v}" for k, v in info]
    section += ["", "Throughput (samples per second, higher is better; ratio above 1: dnnc "
                "faster):", ""]
    section += rows
    section += ["", "Outputs checked against dnnc before timing (tolerance "
                f"{next(iter(meta.get('checks', {}).values()), {}).get('tolerance', 1e-4):g}): "
                + "; ".join(checks) + "."]
    text = "\n".join(section)

    print("\n".join(f"{k}: {v}" for k, v in info))
    print()
    print("\n".join(rows))

    if args.doc:
        block = f"{BEGIN}\n\n{text}\n\n{END}"
        try:
            with open(args.doc) as f:
                doc = f.read()
        except FileNotFoundError:
            doc = "# Performance\n"
        if BEGIN in doc and END in doc:
            head, rest = doc.split(BEGIN, 1)
            _, tail = rest.split(END, 1)
            doc = head + block + tail
        else:
            doc = doc.rstrip("\n") + "\n\n## Results\n\n" + block + "\n"
        with open(args.doc, "w") as f:
            f.write(doc)
        print(f"\nwrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
