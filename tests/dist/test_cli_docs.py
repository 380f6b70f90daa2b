"""The generated man pages and bash completion cover the command line as the source defines it.

The completion and pages are generated from `glassbox --help` at build time; these tests check
them against the CLI11 registrations in cli/*.cc (an independent source), and that the
completion behaves in bash. Environment: GLASSBOX_MAN_DIR, GLASSBOX_COMPLETION,
GLASSBOX_SOURCE_DIR."""
import glob
import os
import re
import subprocess
import unittest

MAN_DIR = os.environ["GLASSBOX_MAN_DIR"]
COMPLETION = os.environ["GLASSBOX_COMPLETION"]
SOURCE = os.environ["GLASSBOX_SOURCE_DIR"]


def cli_sources():
    text = ""
    for path in sorted(glob.glob(os.path.join(SOURCE, "cli", "*.cc"))):
        with open(path, encoding="utf-8") as f:
            text += f.read()
    return text


def registered_subcommands():
    return set(re.findall(r'add_subcommand\(\s*"([^"]+)"', cli_sources()))


def registered_long_options():
    names = set()
    for spec in re.findall(r'(?:add_option|add_flag|set_version_flag)\(\s*"([^"]+)"',
                           cli_sources()):
        names.update(n for n in spec.split(",") if n.startswith("--"))
    return names


def complete(*words):
    """Runs the completion function for `glassbox WORDS...` (the last word is being typed)."""
    script = (f'source "{COMPLETION}"; COMP_WORDS=(glassbox "$@"); COMP_CWORD=$#; _glassbox; '
              'printf "%s\\n" "${COMPREPLY[@]}"')
    out = subprocess.run(["bash", "-c", script, "bash", *words], check=True,
                         capture_output=True, text=True).stdout
    return [w for w in out.splitlines() if w]


class CompletionTest(unittest.TestCase):
    def setUp(self):
        with open(COMPLETION, encoding="utf-8") as f:
            self.script = f.read()

    def test_every_registered_subcommand_is_completed(self):
        subs = registered_subcommands()
        self.assertGreaterEqual(len(subs), 5)
        offered = set(re.findall(r'echo "([^"]*)"', self.script.split("_glassbox_options")[0]))
        words = {w for line in offered for w in line.split()}
        self.assertEqual(set(), subs - words)

    def test_every_registered_long_option_is_completed(self):
        options = registered_long_options()
        self.assertIn("--journal", options)
        missing = [o for o in sorted(options) if not re.search(rf"(?<![\w-]){o}(?![\w-])",
                                                                self.script)]
        self.assertEqual([], missing)

    def test_top_level_subcommands(self):
        self.assertTrue({"record", "start", "complete", "inspect"} <= set(complete("")))
        self.assertEqual(["inspect"], complete("ins"))

    def test_nested_subcommands_and_global_option_values_are_skipped(self):
        nested = complete("inspect", "")
        self.assertIn("events", nested)
        self.assertNotIn("record", nested)
        self.assertEqual(["inspect"], complete("--journal", "x.db", "ins"))

    def test_options_of_the_current_subcommand(self):
        self.assertEqual(["--field"], complete("record", "--fi"))
        self.assertNotIn("--status", complete("record", "--"))
        self.assertIn("--status", complete("complete", "SPAN", "--"))

    def test_option_choices(self):
        self.assertEqual(["failed"], complete("complete", "SPAN", "--status", "f"))
        self.assertIn("ndjson", complete("inspect", "events", "--format", ""))


class ManPageTest(unittest.TestCase):
    def pages(self):
        return {os.path.basename(p)[:-2] for p in glob.glob(os.path.join(MAN_DIR, "*.1"))}

    def test_a_page_for_glassbox_and_every_subcommand(self):
        pages = self.pages()
        self.assertIn("glassbox", pages)
        for sub in registered_subcommands():
            self.assertTrue(any(p.endswith("-" + sub) for p in pages), sub)

    def test_pages_are_man_pages_listing_their_options(self):
        for name in self.pages():
            with open(os.path.join(MAN_DIR, name + ".1"), encoding="utf-8") as f:
                text = f.read()
            self.assertTrue(text.startswith(f".TH {name.upper()} 1 "), name)
            for section in (".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS"):
                self.assertIn(section, text, name)
        with open(os.path.join(MAN_DIR, "glassbox-record.1"), encoding="utf-8") as f:
            record = f.read()
        self.assertIn("\\fB\\-\\-field\\fR", record)
        self.assertIn("glassbox\\-record \\- Record one event", record)


if __name__ == "__main__":
    unittest.main()
