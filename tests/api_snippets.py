#!/usr/bin/env python3
"""api_snippets.py: the C examples of docs/API.md that a test compiles and runs (test 'api-snippets').

    api_snippets.py API_MD OUTPUT_H

A code block is compiled when the line before its opening fence is `<!-- snippet NAME SCOPE -->`:
SCOPE `file` puts it at file scope as it is; `body` makes it the body of
`static int snippet_NAME(void)`, which returns 0 unless the snippet returns first. Each snippet
also defines SNIPPET_NAME (upper case), so tests/test_api_snippets.c can report a missing one.
#line directives point compiler messages at docs/API.md.
"""
import re
import sys


def snippets(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    found = []
    for i, line in enumerate(lines):
        m = re.match(r"\s*<!-- snippet (\w+) (file|body) -->\s*$", line)
        if not m:
            continue
        fence = lines[i + 1] if i + 1 < len(lines) else ""
        indent = len(fence) - len(fence.lstrip())
        if fence.strip() != "```c":
            sys.exit(f"{path}:{i + 2}: snippet {m.group(1)} is not followed by a ```c block")
        body = []
        for j in range(i + 2, len(lines)):
            if lines[j].strip() == "```":
                break
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
        else:
            sys.exit(f"{path}:{i + 2}: snippet {m.group(1)} has no closing fence")
        found.append((m.group(1), m.group(2), i + 3, body))
    return found


def main():
    api_md, output = sys.argv[1], sys.argv[2]
    out = ["/* Generated from docs/API.md by tests/api_snippets.py: do not edit. */"]
    for name, scope, first_line, body in snippets(api_md):
        out.append(f"#define SNIPPET_{name.upper()} 1")
        if scope == "body":
            out.append(f"static int snippet_{name}(void)\n{{")
        out.append(f'#line {first_line} "docs/API.md"')
        out.extend(body)
        if scope == "body":
            out.append("    return 0;\n}")
    with open(output, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
