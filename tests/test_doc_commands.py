"""Every `mimicry ...` command the README, the docs and the commands' own help show is a
command mimicry accepts: its subcommand exists, every option is one of that command's and
every value has the option's type (the README once showed `mimicry demo --kind yawn`)."""

from __future__ import annotations

import re
import shlex
import warnings
from pathlib import Path

import click
import pytest

from mimicry.cli import main

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.S)
INLINE = re.compile(r"`(mimicry [^`]+)`")


def _lines(block: str) -> list[str]:
    """The command lines of a code block, continuation lines joined, comments and prompts dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    out = []
    for line in joined.splitlines():
        line = line.strip().removeprefix("$ ")
        if line.startswith("mimicry "):
            out.append(line)
    return out


def documented_commands() -> list[tuple[str, str, bool]]:
    """(where, command line, whole) for every command shown in a code block (whole: to be run
    as it stands) or an inline code span of the prose (which may name a command or an option
    without its arguments)."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        where = page.relative_to(ROOT).as_posix()
        for block in FENCE.findall(text):
            found += [(where, line, True) for line in _lines(block)]
        prose = FENCE.sub("", text)
        found += [(where, m.group(1), False) for m in INLINE.finditer(prose) if "..." not in m.group(1)]
    for name, cmd in _all_commands(main):
        for line in _lines((cmd.help or "").replace("\b", "")):
            found.append((f"mimicry {name} --help", line, True))
    return found


def _all_commands(group: click.Group, prefix: str = ""):
    for name, cmd in group.commands.items():
        yield f"{prefix}{name}", cmd
        if isinstance(cmd, click.Group):
            yield from _all_commands(cmd, f"{prefix}{name} ")


def _rest(ctx: click.Context) -> list[str]:
    """What a group left for its subcommand (Click 8.2 deprecates ``protected_args``, 9 drops it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return [*getattr(ctx, "protected_args", []), *ctx.args]


def parse(args: list[str]) -> None:
    """Parse ``args`` as the command line would, subcommand by subcommand, running nothing."""
    ctx = main.make_context("mimicry", list(args))
    group, rest = main, _rest(ctx)
    while rest:
        name, cmd, rest = group.resolve_command(ctx, rest)
        ctx = cmd.make_context(name, rest, parent=ctx)
        if not isinstance(cmd, click.Group):
            return
        group, rest = cmd, _rest(ctx)


COMMANDS = documented_commands()


def test_the_docs_show_commands():
    pages = {where for where, _, _ in COMMANDS}
    assert len(COMMANDS) > 40 and "README.md" in pages and "docs/tutorials/classroom.md" in pages
    assert any(where.endswith("--help") for where in pages)


@pytest.mark.parametrize("where, line, whole", COMMANDS, ids=[f"{w}:{c[:60]}" for w, c, _ in COMMANDS])
def test_every_documented_command_parses(where, line, whole):
    args = shlex.split(line.split(" #", 1)[0], comments=False)[1:]
    if args and args[0].isupper():  # a placeholder: `mimicry COMMAND --help`
        return
    try:
        parse(args)
    except click.exceptions.Exit:  # --help, --version
        pass
    except click.UsageError as e:
        named_only = isinstance(e, (click.MissingParameter, click.exceptions.NoArgsIsHelpError)) or (
            "requires an argument" in e.format_message()
        )
        users_file = isinstance(e, click.BadParameter) and "does not exist" in e.format_message()
        if users_file:  # the example names the user's own file (`--photo face.jpg`)
            return
        if whole or not named_only:  # prose may name `mimicry analyze` or `--camera` alone
            pytest.fail(f"{where}: `{line}` is refused: {e.format_message()}")


def test_a_wrong_command_fails_the_parse():
    with pytest.raises(click.UsageError, match="No such option"):
        parse(["demo", "--kind", "yawn"])
    with pytest.raises(click.UsageError):
        parse(["track", "clip.mp4", "--seconds", "nan"])
