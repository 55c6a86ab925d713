"""mkdocs hooks: the file-format tables and the CLI reference are generated from the code.

``<!-- schema: NAME -->`` becomes that schema's description and table (``mimicry.schema``);
``<!-- cli -->`` becomes every command's ``--help`` text; ``<!-- include: FILE -->`` a file at
the top of the repository (CONTRIBUTING.md, CHANGELOG.md) without its title; ``<!-- au-map -->``,
``<!-- mesh-68 -->`` and ``<!-- lsl-channels -->`` the OpenFace action units, the 68 landmarks
and the LSL channels. Tests call :func:`expand` too.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
INCLUDE_MARK = re.compile(r"<!-- include: ([\w.-]+) -->")

SCHEMA_MARK = re.compile(r"<!-- schema: (\w+) -->")
CLI_MARK = "<!-- cli -->"


def schema_block(name: str) -> str:
    from mimicry.schema import ALL_SCHEMAS

    by_name = {s.name: s for s in ALL_SCHEMAS}
    if name not in by_name:
        raise KeyError(f"docs name an unknown schema {name!r} (known: {', '.join(by_name)})")
    s = by_name[name]
    return f"{s.description}\n\n{s.markdown()}"


def _commands(group: click.Group, prefix: str):
    ctx = click.Context(group, info_name=prefix)
    for name in sorted(group.list_commands(ctx)):
        cmd = group.get_command(ctx, name)
        yield f"{prefix} {name}", cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, f"{prefix} {name}")


def cli_reference() -> str:
    """Every command's help, as ``mimicry COMMAND --help`` prints it (wrapped at 100 columns)."""
    from mimicry.cli import main

    parts = []
    for path, cmd in _commands(main, "mimicry"):
        ctx = click.Context(cmd, info_name=path, terminal_width=100, max_content_width=100)
        parts.append(f"## `{path}`\n\n```text\n{cmd.get_help(ctx)}\n```\n")
    return "\n".join(parts)


def include(name: str) -> str:
    text = (ROOT / name).read_text(encoding="utf-8")
    return re.sub(r"\A# .*\n+", "", text)


def au_map() -> str:
    """The OpenFace action units and the blendshapes behind each (:data:`mimicry.interop.AU_MAP`)."""
    from mimicry.interop import AU_MAP

    rows = [f"| {au} | {', '.join(f'`{n}`' for n in names)} |" for au, names in AU_MAP.items()]
    return "\n".join(["| action unit | mean of the blendshapes |", "| --- | --- |", *rows])


def mesh_68() -> str:
    """The 68 landmarks and the MediaPipe mesh points behind each (:data:`mimicry.interop.ibug68.MESH_TO_68`)."""
    from mimicry.interop.ibug68 import MESH_TO_68, PARTS

    rows = []
    for part, points in PARTS:
        mesh = "; ".join(" + ".join(str(p) for p in MESH_TO_68[i]) for i in points)
        rows.append(f"| {points.start}-{points.stop - 1} | {part} | {mesh} |")
    return "\n".join(["| points | what | mesh points (a mean where two) |", "| --- | --- | --- |", *rows])


def lsl_channels() -> str:
    """The ``FaceSignals`` channels of ``--lsl`` (:func:`mimicry.interop.lsl.face_channels`)."""
    from mimicry.interop.lsl import face_channels

    rows = [f"| `{c.name}` | {c.unit} | {c.description} |" for c in face_channels(session=True)]
    rows.append(
        "| `_neutral` ... `noseSneerRight` | 0-1 | with `--lsl-blendshapes`: the 52 MediaPipe blendshapes, "
        "in the order of the track CSV |"
    )
    note = "\n\n`block` is sent by `run` and `demo` only (`track` has no blocks); what is empty in the CSV is NaN."
    return "\n".join(["| channel | unit | meaning |", "| --- | --- | --- |", *rows]) + note


def expand(markdown: str) -> str:
    markdown = markdown.replace("<!-- au-map -->", au_map()) if "<!-- au-map -->" in markdown else markdown
    if "<!-- mesh-68 -->" in markdown:
        markdown = markdown.replace("<!-- mesh-68 -->", mesh_68())
    if "<!-- lsl-channels -->" in markdown:
        markdown = markdown.replace("<!-- lsl-channels -->", lsl_channels())
    markdown = INCLUDE_MARK.sub(lambda m: include(m.group(1)), markdown)
    text = SCHEMA_MARK.sub(lambda m: schema_block(m.group(1)), markdown)
    return text.replace(CLI_MARK, cli_reference()) if CLI_MARK in text else text


def on_page_markdown(markdown, page=None, config=None, files=None):  # mkdocs hook
    return expand(markdown)
