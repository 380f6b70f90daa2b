#!/usr/bin/env python3
"""pipetool: a toy data-pipeline CLI that records its own usage through glassbox, the way the
telemetry standard's tool does:

- command and sub-command names, plugin and variant names: clear text;
- command-line arguments and each plugin's configuration: MD5 (the schema says so);
- the project file as a whole: SHA-256; the project id and Python version: execution context;
- settings values (PIPETOOL_* environment variables, e.g. tokens): passed in, never stored;
- `run` is long-running: a `started` event, then `completed` with success, or failed and the
  exception's type name (never its message).

    pipetool.py init demo && pipetool.py add extractor tap-github --variant meltano
    pipetool.py run tap-github target-jsonl --full-refresh
    glassbox inspect events        # what would be sent

The anonymization happens in libglassbox: this file hands over raw values and never hashes
anything itself. DO_NOT_TRACK=1 turns recording off.
"""
import argparse
import json
import os
import sys
import uuid

import glassbox

PROJECT_FILE = "pipetool.json"
VERSION = "0.3.0"


def load_project():
    try:
        with open(PROJECT_FILE, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def save_project(project):
    with open(PROJECT_FILE, "w", encoding="utf-8") as f:
        json.dump(project, f, indent=2)


def telemetry_event(args, argv, project):
    """The cli_event input: raw values; the schema decides what is hashed or dropped."""
    used = set(args.plugins) if args.command == "run" else {getattr(args, "name", None)}
    plugins = [{"name": p["name"], "variant": p.get("variant"), "config": p.get("config", {})}
               for p in (project or {}).get("plugins", []) if p["name"] in used]
    return {
        "command": args.command,
        "sub_command": getattr(args, "plugin_type", None),
        "args": argv,
        "plugins": plugins,
        "project_config": project,
        "settings": {k: v for k, v in os.environ.items() if k.startswith("PIPETOOL_")},
    }


def cmd_init(args, project):
    if project:
        raise SystemExit(f"{PROJECT_FILE} already exists")
    save_project({"project_id": str(uuid.uuid4()), "name": args.name, "plugins": []})
    print(f"created project {args.name}")


def cmd_add(args, project):
    project["plugins"].append({"type": args.plugin_type, "name": args.name,
                               "variant": args.variant, "config": dict(args.config or [])})
    save_project(project)
    print(f"added {args.plugin_type} {args.name}")


def cmd_run(args, project):
    known = {p["name"] for p in project["plugins"]}
    for name in args.plugins:
        if name not in known:
            raise LookupError(f"plugin {name} is not in {PROJECT_FILE}")
        if name.startswith("tap-fail"):
            # A realistic failure whose message holds things telemetry must never see.
            raise ConnectionError("could not reach db.internal:5432 as user alice")
    print(f"ran {' -> '.join(args.plugins)}{' (full refresh)' if args.full_refresh else ''}")


def parse(argv):
    p = argparse.ArgumentParser(prog="pipetool")
    p.add_argument("--journal", help="glassbox journal (default: glassbox's default)")
    sub = p.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init")
    init.add_argument("name")
    add = sub.add_parser("add")
    add.add_argument("plugin_type", choices=["extractor", "loader"])
    add.add_argument("name")
    add.add_argument("--variant")
    add.add_argument("--config", nargs=2, action="append", metavar=("KEY", "VALUE"))
    run = sub.add_parser("run")
    run.add_argument("plugins", nargs="+")
    run.add_argument("--full-refresh", action="store_true")
    return p.parse_args(argv)


def main(argv):
    args = parse(argv)
    project = load_project()
    if args.command != "init" and project is None:
        raise SystemExit(f"no {PROJECT_FILE} here: run `pipetool init NAME` first")
    rec = glassbox.Recorder(args.journal, app_name="pipetool", app_version=VERSION,
                            project_id=(project or {}).get("project_id"))
    handler = {"init": cmd_init, "add": cmd_add, "run": cmd_run}[args.command]
    try:
        if args.command == "run":
            # Long-running: `started` now, `completed` when the block ends (or raises).
            with rec.span("cli_event", telemetry_event(args, argv, project)):
                handler(args, project)
        else:
            handler(args, project)
            rec.record("cli_event", telemetry_event(args, argv, load_project()))
    finally:
        rec.close()


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (LookupError, ConnectionError) as e:
        print(f"pipetool: {e}", file=sys.stderr)
        sys.exit(1)
