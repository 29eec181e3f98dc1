#!/usr/bin/python3
"""Tables of bench/run-cpu-bench.sh: dnnc (Google Benchmark JSON of
dnnc-bench-predict and dnnc-bench-train) against PyTorch (JSON of
bench/torch_predict.py and bench/torch_train.py), printed and written into
docs/performance.md, inference between the results markers and training steps
between the train-results markers (the text around them is kept; a section is
appended when its markers are missing). A kind that was not run leaves its
section of the document as it was.

  report.py [--dnnc mlp.dnnc.json lenet5.dnnc.json --torch mlp.torch.json ...]
            [--dnnc-train mlp.dnnc-train.json ... --torch-train mlp.torch-train.json ...]
            [--memory mlp.memory.json] --dnnc-bin build/bin/dnnc [--doc docs/performance.md]
            [--note TEXT]
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
TRAIN_BEGIN = "<!-- train-results:begin (written by bench/run-cpu-bench.sh) -->"
TRAIN_END = "<!-- train-results:end -->"
NAME = re.compile(r"^(?P<kind>predict|train_step)/(?P<model>[^/]+)/batch:(?P<batch>\d+)/"
                  r"threads:(?P<threads>\d+)")


def dnnc_results(paths, kind):
    """(model, batch, threads) -> samples/s of the benchmarks of `kind`
    ("predict", "train_step"): the median over repetitions (or the single run
    when there were none)."""
    single, median = {}, {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        for b in data["benchmarks"]:
            m = NAME.match(b.get("run_name", b["name"]))
            if not m or m["kind"] != kind or "items_per_second" not in b:
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
    out, meta, checks, optimizers = {}, {}, {}, {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        meta = data
        for r in data["results"]:
            out[(r["model"], r["batch"], r["threads"])] = r["samples_per_second"]
        checks[data.get("model", path)] = data["check"]
        if "optimizer" in data:
            optimizers[data.get("model", path)] = data["optimizer"]
    meta["checks"] = checks
    meta["optimizers"] = optimizers
    return out, meta


def run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine(args, torch_meta):
    """(label, text) rows describing the machine and the versions."""
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


def fmt_ratio(r):
    # Two significant digits also below 0.1, where training ratios are.
    return f"{r:.2f}" if r >= 0.1 else f"{r:.2g}"


def table(dnnc, torch):
    keys = sorted(set(dnnc) | set(torch), key=lambda k: (k[0] != "mlp", k[0], k[1], k[2]))
    lines = ["| model | batch | threads | dnnc samples/s | PyTorch samples/s | dnnc / PyTorch |",
             "|---|---:|---:|---:|---:|---:|"]
    for key in keys:
        d, t = dnnc.get(key), torch.get(key)
        ratio = fmt_ratio(d / t) if d and t else "n/a"
        lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {fmt(d)} | {fmt(t)} | {ratio} |")
    return lines


def predict_section(info, rows, meta):
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
    return section


def memory_lines(path):
    """The memory figure of bench/train_memory.py's JSON, as a paragraph."""
    with open(path) as f:
        m = json.load(f)
    mib = 1 << 20
    return ["", f"Peak resident memory of training the MNIST MLP (`dnn-run train`, one epoch, "
            f"batch 128, bench/train_memory.py): {m['dnnc_peak_rss'] / mib:.1f} MiB, of which "
            f"the dataset as f32 {m['dataset_bytes'] / mib:.1f} MiB: "
            f"{m['dnnc_without_dataset'] / mib:.1f} MiB without it (target 40 MiB). PyTorch "
            f"training the same MLP with Adam, with no dataset at all: "
            f"{m['torch_peak_rss'] / mib:.1f} MiB."]


def train_section(info, rows, meta):
    """The training-step table: a one-line machine summary (the inference
    section has the details, possibly of another run) and the checks."""
    row = dict(info)
    summary = (f"{row['CPU']}, {row['Cores'].split(':')[0]}; {row['dnnc']}; PyTorch "
               f"{meta.get('torch_version', 'unknown')}; {row['Date']}")
    if "Note" in row:
        summary += f". Note: {row['Note']}"
    checks, tolerance, state_tolerance = [], None, None
    for model, c in sorted(meta.get("checks", {}).items()):
        tolerance, state_tolerance = c["tolerance"], c["state_tolerance"]
        text = (f"{model}: params within {c['max_abs_diff_params']:.1e} on "
                f"{c['params_compared']:,} of {c['num_params']:,} values")
        if c["params_compared"] < c["num_params"]:
            text += (f" (the other {c['num_params'] - c['params_compared']:,}, whose gradient "
                     "is non-zero but below 100 eps, where Adam's first step amplifies "
                     f"rounding: {c['max_abs_diff_params_small_grad']:.1e})")
        state = c.get("max_rel_diff_state", {})
        if state:
            text += ", optimizer state " + ", ".join(
                f"`{k}` within {v:.1e}" for k, v in sorted(state.items()))
        checks.append(text)
    optimizers = sorted({m for m in meta.get("optimizers", {}).values()})
    section = [f"Machine: {summary}.", "",
               "Throughput of training steps (samples per second, higher is better; ratio above "
               "1: dnnc faster), with the optimizer of the models' `train with`: "
               + (", ".join(f"`{o}`" for o in optimizers) or "n/a") + ".", ""]
    section += rows
    section += ["", f"One step checked against dnnc before timing (batch "
                f"{next(iter(meta.get('checks', {}).values()), {}).get('batch', '?')}; "
                f"params: largest absolute difference, tolerance {tolerance:g}; optimizer "
                f"state: largest difference relative to the state's largest value, tolerance "
                f"{state_tolerance:g}): " + "; ".join(checks) + "."]
    return section


def write_block(path, begin, end, heading, text):
    """Replaces the text between `begin` and `end` in `path` (or appends a
    section `heading` with the markers)."""
    block = f"{begin}\n\n{text}\n\n{end}"
    try:
        with open(path) as f:
            doc = f.read()
    except FileNotFoundError:
        doc = "# Performance\n"
    if begin in doc and end in doc:
        head, rest = doc.split(begin, 1)
        _, tail = rest.split(end, 1)
        doc = head + block + tail
    else:
        doc = doc.rstrip("\n") + f"\n\n{heading}\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(doc)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    files = {"nargs": "+", "action": "extend", "default": []}  # repeatable, as the script does
    ap.add_argument("--dnnc", help="dnnc-bench-predict JSON files", **files)
    ap.add_argument("--torch", help="torch_predict.py JSON files", **files)
    ap.add_argument("--dnnc-train", help="dnnc-bench-train JSON files", **files)
    ap.add_argument("--torch-train", help="torch_train.py JSON files", **files)
    ap.add_argument("--dnnc-bin", required=True)
    ap.add_argument("--doc", help="markdown file to update")
    ap.add_argument("--memory", help="bench/train_memory.py JSON (added to the training section)")
    ap.add_argument("--note", help="a line added to the machine description")
    args = ap.parse_args()
    if bool(args.dnnc) != bool(args.torch) or bool(args.dnnc_train) != bool(args.torch_train):
        ap.error("give both sides of each kind: --dnnc with --torch, --dnnc-train with "
                 "--torch-train")
    if not args.dnnc and not args.dnnc_train:
        ap.error("nothing to report: give --dnnc/--torch or --dnnc-train/--torch-train")

    sections = []  # (title, begin, end, heading, lines)
    info = None
    if args.dnnc:
        torch, meta = torch_results(args.torch)
        rows = table(dnnc_results(args.dnnc, "predict"), torch)
        info = machine(args, meta)
        sections.append(("Inference (entry predict)", BEGIN, END, "## Results", rows,
                         predict_section(info, rows, meta)))
    if args.dnnc_train:
        torch, meta = torch_results(args.torch_train)
        rows = table(dnnc_results(args.dnnc_train, "train_step"), torch)
        info = info or machine(args, meta)
        section = train_section(info, rows, meta)
        if args.memory:
            section += memory_lines(args.memory)
            rows = rows + memory_lines(args.memory)
        sections.append(("Training step", TRAIN_BEGIN, TRAIN_END, "## Training step results",
                         rows, section))

    print("\n".join(f"{k}: {v}" for k, v in info))
    for title, _, _, _, rows, _ in sections:
        print(f"\n{title}:\n")
        print("\n".join(rows))

    if args.doc:
        for _, begin, end, heading, _, section in sections:
            write_block(args.doc, begin, end, heading, "\n".join(section))
        print(f"\nwrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
