#!/usr/bin/env python3
"""Instantiates a kernel template of codegen/kernels/ and prints the module.

    instantiate.py TEMPLATE.mlir --param NAME=VALUE [--param ...] [--kernel NAME]

Includes every `{{>part}}` (TEMPLATE's directory/parts/part.mlir), keeps
`{{#KEY=VALUE}}...{{/KEY=VALUE}}` sections only when KEY is VALUE (`{{^`:
unless), and then substitutes every `{{NAME}}` placeholder textually, as instantiateKernelText
(codegen/kernels/KernelCatalog.cpp) does: `{{KERNEL}}` is the instance name
(the kind, then the parameter values in name order, joined by "__", with
every character that is not a letter or digit replaced by "_"), unless
--kernel names it. A placeholder without a value, a parameter the template
does not use, or an unclosed "{{" is an error (exit 1).
Standard library only.
"""

import argparse
import os
import sys


def instance_name(kind, params):
    name = kind
    for key in sorted(params):
        name += "__" + "".join(c if c.isalnum() and c.isascii() else "_"
                               for c in params[key])
    return name


def expand_parts(text, kind, parts_dir):
    out = []
    while True:
        open_at = text.find("{{>")
        close_at = text.find("}}", open_at) if open_at >= 0 else -1
        if open_at < 0 or close_at < 0:
            break
        name = text[open_at + 3:close_at]
        path = os.path.join(parts_dir, name + ".mlir")
        if not os.path.isfile(path):
            raise ValueError(f"kernel template '{kind}' includes unknown part '{name}'")
        with open(path) as f:
            out.append(text[:open_at] + f.read())
        text = text[close_at + 2:]
    out.append(text)
    return "".join(out)


def resolve_sections(text, kind, params, used):
    out = []
    while True:
        starts = [i for i in (text.find("{{#"), text.find("{{^")) if i >= 0]
        if not starts:
            break
        open_at = min(starts)
        close_at = text.find("}}", open_at)
        if close_at < 0:
            break
        keep_when_equal = text[open_at + 2] == "#"
        condition = text[open_at + 3:close_at]
        key, _, value = condition.partition("=")
        end = "{{/" + condition + "}}"
        body_end = text.find(end, close_at + 2)
        if body_end < 0:
            raise ValueError(f"kernel template '{kind}' has no {end}")
        if key not in params:
            raise ValueError(f"kernel template '{kind}' needs parameter {key}"
                             f" (section {condition})")
        used.add(key)
        out.append(text[:open_at])
        if (params[key] == value) == keep_when_equal:
            out.append(text[close_at + 2:body_end])
        text = text[body_end + len(end):]
    out.append(text)
    return "".join(out)


def instantiate(text, kind, params, kernel=None, parts_dir=None):
    if parts_dir is not None:
        text = expand_parts(text, kind, parts_dir)
    used = set()
    text = resolve_sections(text, kind, params, used)
    values = dict(params)
    values["KERNEL"] = kernel if kernel else instance_name(kind, params)
    out = []
    while text:
        open_at = text.find("{{")
        if open_at < 0:
            out.append(text)
            break
        out.append(text[:open_at])
        text = text[open_at + 2:]
        close_at = text.find("}}")
        if close_at < 0:
            raise ValueError(f"kernel template '{kind}' has an unclosed {{{{")
        key = text[:close_at]
        text = text[close_at + 2:]
        if key not in values:
            raise ValueError(f"kernel template '{kind}' needs parameter {key}")
        used.add(key)
        out.append(values[key])
    unused = sorted(set(params) - used)
    if unused:
        raise ValueError(f"kernel template '{kind}' has no parameter "
                         + ", ".join(unused))
    return "".join(out)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", help="codegen/kernels/<kind>.mlir")
    parser.add_argument("--param", action="append", default=[],
                        metavar="NAME=VALUE", help="a template parameter")
    parser.add_argument("--kernel", help="the instance name (default: as "
                        "the catalog names it)")
    args = parser.parse_args(argv)

    params = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--param needs NAME=VALUE, got '{item}'")
        if name == "KERNEL":
            parser.error("KERNEL is filled in by the catalog; use --kernel")
        if name in params:
            parser.error(f"parameter {name} given twice")
        params[name] = value

    kind = os.path.splitext(os.path.basename(args.template))[0]
    with open(args.template, encoding="utf-8") as f:
        text = f.read()
    try:
        parts_dir = os.path.join(os.path.dirname(os.path.abspath(args.template)),
                                 "parts")
        sys.stdout.write(instantiate(text, kind, params, args.kernel, parts_dir))
    except ValueError as e:
        print(f"instantiate.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
