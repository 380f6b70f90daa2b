#!/usr/bin/env python3
"""Generates the man pages and the bash completion of the glassbox command from the built
binary's own --help output (CLI11), so neither is ever kept by hand.

Usage: gen_cli_docs.py GLASSBOX_BIN VERSION MAN_DIR COMPLETION_FILE

Walks `glassbox --help`, then `glassbox SUB --help` for every subcommand listed, recursively.
Writes MAN_DIR/glassbox.1 and one page per command path (glassbox-inspect-events.1), and a
bash completion script that knows every subcommand, option and option choice.
"""
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

HELP_COLUMN = 30  # CLI11's default: descriptions start here
VALUE_TYPES = ("TEXT", "INT", "UINT", "FLOAT", "NUMBER", "FILE", "DIR", "PATH")


@dataclass
class Option:
    names: list  # e.g. ["-f", "--field"]
    takes_value: bool
    value: str  # e.g. "TEXT ..." or "TEXT:{table,json}"
    choices: list
    env: str
    help: str


@dataclass
class Command:
    path: list  # e.g. ["inspect", "events"]
    description: str = ""
    usage: str = ""  # the synopsis after the command path, e.g. "[OPTIONS] [schema]"
    positionals: list = field(default_factory=list)  # (name, type, help)
    options: list = field(default_factory=list)
    subcommands: list = field(default_factory=list)  # (name, help)
    children: list = field(default_factory=list)


def run_help(binary, path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLASSBOX_")}
    env["COLUMNS"] = "100"
    proc = subprocess.run([binary, *path, "--help"], capture_output=True, text=True, env=env,
                          timeout=60)
    if proc.returncode != 0:
        sys.exit(f"gen_cli_docs: `glassbox {' '.join(path)} --help` exited {proc.returncode}")
    return proc.stdout


def split_entry(lines, i):
    """Returns (head, help, next_index) for an indented entry whose help may wrap below it."""
    line = lines[i]
    head, help_text = line[2:HELP_COLUMN].rstrip(), line[HELP_COLUMN:].strip()
    if len(line) > HELP_COLUMN and line[HELP_COLUMN - 1] != " ":
        head, help_text = line[2:].strip(), ""
    i += 1
    while i < len(lines) and lines[i].startswith(" " * HELP_COLUMN):
        help_text = (help_text + " " + lines[i].strip()).strip()
        i += 1
    return head, help_text, i


def parse_option(head, help_text):
    spec, _, value = head.partition(" ")
    env = ""
    m = re.search(r"\(Env:(\w+)\)", value)
    if m:
        env, value = m.group(1), (value[:m.start()] + value[m.end():]).strip()
    choices = []
    m = re.search(r":\{([^}]*)\}", value)
    if m:
        choices = m.group(1).split(",")
    takes_value = any(value.startswith(t) for t in VALUE_TYPES)
    return Option(spec.split(","), takes_value, value.strip(), choices, env, help_text)


def parse(binary, path):
    text = run_help(binary, path)
    lines = text.splitlines()
    cmd = Command(path=path)
    section = None
    desc = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("Usage:"):
            # "Usage: /path/to/glassbox inspect [OPTIONS] [SUBCOMMAND]": keep what follows.
            cmd.usage = " ".join(line.split()[2 + len(path):])
            section, i = "usage", i + 1
        elif line.endswith(":") and not line.startswith(" "):
            section, i = line[:-1], i + 1
        elif section is None:
            desc.append(line)
            i += 1
        elif line.startswith("  ") and section in ("Options", "Positionals", "Subcommands"):
            head, help_text, i = split_entry(lines, i)
            if section == "Options":
                cmd.options.append(parse_option(head, help_text))
            elif section == "Positionals":
                name, _, kind = head.partition(" ")
                cmd.positionals.append((name, kind.strip(), help_text))
            else:
                cmd.subcommands.append((head.split()[0], help_text))
        else:
            i += 1
    cmd.description = " ".join(d.strip() for d in desc if d.strip())
    if cmd.description.startswith("glassbox: "):  # the root's, already named by NAME
        cmd.description = cmd.description[len("glassbox: "):]
    for name, _ in cmd.subcommands:
        cmd.children.append(parse(binary, path + [name]))
    return cmd


def walk(cmd):
    yield cmd
    for child in cmd.children:
        yield from walk(child)


# -- man pages --------------------------------------------------------------------------------

def roff(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def sentence(text):
    """Capitalized, ending in a full stop: help strings are fragments."""
    text = text[:1].upper() + text[1:]
    return text if not text or text[-1] in ".!?)" else text + "."


def page_name(path):
    return "-".join(["glassbox", *path])


def man_page(cmd, version):
    name = page_name(cmd.path)
    out = [f'.TH {name.upper()} 1 "" "glassbox {version}" "User Commands"',
           ".\\\" Generated by dist/gen_cli_docs.py from `glassbox --help`: do not edit.",
           ".SH NAME", f"{roff(name)} \\- {roff(cmd.description)}",
           ".SH SYNOPSIS", f".B {roff(' '.join(['glassbox', *cmd.path]))}", roff(cmd.usage),
           ".SH DESCRIPTION", roff(sentence(cmd.description))]
    if cmd.positionals:
        out.append(".SH ARGUMENTS")
        for pname, kind, help_text in cmd.positionals:
            out += [".TP", f".I {roff(pname)}", roff(f"{help_text} ({kind})" if kind else help_text)]
    if cmd.options:
        out.append(".SH OPTIONS")
        for o in cmd.options:
            names = ", ".join(f"\\fB{roff(n)}\\fR" for n in o.names)
            value = f" \\fI{roff(o.value)}\\fR" if o.value else ""
            env = f" Environment: \\fB{o.env}\\fR." if o.env else ""
            out += [".TP", names + value, roff(sentence(o.help)) + env]
    if cmd.subcommands:
        out.append(".SH COMMANDS")
        for sub, help_text in cmd.subcommands:
            out += [".TP", f"\\fB{roff(sub)}\\fR", f"{roff(help_text)}; see "
                    f"\\fB{roff(page_name(cmd.path + [sub]))}\\fR(1)."]
    envs = [(o.env, o.names[-1]) for o in cmd.options if o.env]
    if envs:
        out.append(".SH ENVIRONMENT")
        for env, option in envs:
            out += [".TP", f".B {env}", f"The default of \\fB{roff(option)}\\fR."]
    see_also = ([page_name(cmd.path[:-1])] if cmd.path else []) + [
        page_name(cmd.path + [sub]) for sub, _ in cmd.subcommands]
    if see_also:
        out += [".SH SEE ALSO", ", ".join(f"\\fB{roff(s)}\\fR(1)" for s in see_also)]
    return "\n".join(out) + "\n"


# -- bash completion --------------------------------------------------------------------------

def bash_words(words):
    return " ".join(words).replace('"', "")


def completion(root):
    cmds = list(walk(root))
    subs = "\n".join(f'    "{" ".join(c.path)}") echo "{bash_words(n for n, _ in c.subcommands)}" ;;'
                     for c in cmds if c.subcommands)
    opts = "\n".join(f'    "{" ".join(c.path)}") echo "{bash_words(n for o in c.options for n in o.names)}" ;;'
                     for c in cmds)
    valued = sorted({n for c in cmds for o in c.options if o.takes_value for n in o.names})
    choices = "\n".join(f'    "{" ".join(c.path)}|{n}") echo "{bash_words(o.choices)}" ;;'
                        for c in cmds for o in c.options if o.choices for n in o.names)
    return f"""# bash completion for glassbox. Generated by dist/gen_cli_docs.py from the binary's
# --help output at build time: do not edit.

_glassbox_subcommands() {{
  case "$1" in
{subs}
  esac
}}

_glassbox_options() {{
  case "$1" in
{opts}
  esac
}}

_glassbox_choices() {{  # PATH OPTION
  case "$1|$2" in
{choices}
  esac
}}

_glassbox_takes_value() {{
  case "$1" in
    {"|".join(valued) or "--"}) return 0 ;;
  esac
  return 1
}}

_glassbox() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
  local path="" i word skip=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${{COMP_WORDS[i]}}"
    if ((skip)); then skip=0; continue; fi
    case "$word" in
      -*=*) ;;
      -*) _glassbox_takes_value "$word" && skip=1 ;;
      *) [[ " $(_glassbox_subcommands "$path") " == *" $word "* ]] && path="${{path:+$path }}$word" ;;
    esac
  done
  if ((COMP_CWORD > 1)) && [[ "$prev" == -* ]] && _glassbox_takes_value "$prev"; then
    local choices
    choices=$(_glassbox_choices "$path" "$prev")
    if [[ -n "$choices" ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_glassbox_options "$path")" -- "$cur")
  else
    local subs
    subs=$(_glassbox_subcommands "$path")
    if [[ -n "$subs" ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
  fi
  return 0
}}

complete -o filenames -F _glassbox glassbox
"""


def main(binary, version, man_dir, completion_file):
    root = parse(binary, [])
    if not root.subcommands:
        sys.exit("gen_cli_docs: `glassbox --help` lists no subcommands")
    shutil.rmtree(man_dir, ignore_errors=True)
    os.makedirs(man_dir)
    for cmd in walk(root):
        with open(os.path.join(man_dir, page_name(cmd.path) + ".1"), "w", encoding="utf-8") as f:
            f.write(man_page(cmd, version))
    os.makedirs(os.path.dirname(completion_file) or ".", exist_ok=True)
    with open(completion_file, "w", encoding="utf-8") as f:
        f.write(completion(root))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
