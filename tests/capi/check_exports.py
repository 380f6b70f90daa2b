"""Checks what libglassbox.so exports: its SONAME, every function glassbox.h declares, and
nothing internal (journal, schema, SQLite, nlohmann, std:: instantiations).

Usage: check_exports.py LIBRARY GLASSBOX_H"""
import re
import subprocess
import sys

FORBIDDEN = ("glassbox::journal::", "glassbox::schema::", "glassbox::recorder::",
             "glassbox::base::", "glassbox::replay::", "glassbox::inspect::", "Recorder::Impl",
             "sqlite3", "nlohmann", "valijson", "ZSTD")
# Public C++ names: a symbol is allowed if its demangled name starts with one of these.
CXX_PUBLIC = ("glassbox::Recorder::", "glassbox::Span::", "glassbox::Status::",
              "glassbox::Version()")


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", "-C", library], check=True,
                         capture_output=True, text=True).stdout
    names = []
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] != "A":  # "A": the version node itself
            names.append(parts[2].split("@")[0])
    return names


def declared(header):
    text = open(header, encoding="utf-8").read()
    return set(re.findall(r"GLASSBOX_EXPORT[^;(]*?\b(glassbox_\w+)\s*\(", text))


def main(library, header):
    problems = []
    soname = subprocess.run(["readelf", "-d", library], check=True, capture_output=True,
                            text=True).stdout
    if "Library soname: [libglassbox.so.0]" not in soname:
        problems.append("SONAME is not libglassbox.so.0")
    names = exported(library)
    for name in names:
        if any(bad in name for bad in FORBIDDEN):
            problems.append("internal symbol exported: " + name)
        elif not (re.fullmatch(r"glassbox_\w+", name) or name.startswith(CXX_PUBLIC)):
            problems.append("unexpected symbol exported: " + name)
    c_names = {n for n in names if n.startswith("glassbox_")}
    wanted = declared(header)
    if len(wanted) < 15:
        problems.append(f"found only {len(wanted)} declarations in {header}")
    for name in sorted(wanted - c_names):
        problems.append("declared in glassbox.h but not exported: " + name)
    for name in sorted(c_names - wanted):
        problems.append("exported but not declared in glassbox.h: " + name)
    if not any(n.startswith("glassbox::Recorder::Open(") for n in names):
        problems.append("the C++ API (glassbox::Recorder::Open) is not exported")
    for p in problems:
        print(p)
    print(f"{len(names)} exported symbols checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
