"""The README and the docs site (docs/) document the install and test commands, every command,
option and file format, and quote figures only from benchmarks/RESULTS.md."""

import importlib.util
import re
from pathlib import Path

import pytest

from mimicry.cli import main
from mimicry.schema import ALL_SCHEMAS, BLENDSHAPE_NAMES, TRACK, safe_cell

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").rglob("*.md"))}
DOCS = "\n".join([README, *PAGES.values()])


def _hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _commands(group, prefix="mimicry"):
    import click

    for name, cmd in group.commands.items():
        yield f"{prefix} {name}", cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, f"{prefix} {name}")


def test_readme_has_install_and_test_commands_and_ci_runs_them():
    assert 'python -m pip install -e ".[test]"' in README
    assert "python -m pytest" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'python -m pip install -e ".[test]"' in ci and "python -m pytest" in ci


def test_readme_is_short():
    assert len(README) <= 12_000, len(README)


@pytest.mark.parametrize("schema", ALL_SCHEMAS, ids=lambda s: s.name)
def test_every_file_format_is_generated_into_the_docs_with_every_column(schema):
    page = _hooks().expand(PAGES["docs/reference/formats.md"])
    assert schema.markdown() in page and schema.description in page
    for col in schema.names:
        assert f"`{col}`" in page or col in BLENDSHAPE_NAMES or col[1:].isdigit(), col


def test_every_command_and_option_is_in_the_generated_cli_reference():
    page = _hooks().expand(PAGES["docs/reference/cli.md"])
    for path, cmd in _commands(main):
        assert f"## `{path}`" in page
        for param in cmd.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert opt in page, f"{path} {opt}"
    for name in main.commands:
        assert f"mimicry {name}" in README, f"the README does not name mimicry {name}"


def test_docs_hooks_fail_on_an_unknown_schema_name():
    with pytest.raises(KeyError, match="unknown schema"):
        _hooks().expand("<!-- schema: no_such_file -->")


def test_track_schema_has_required_columns():
    for col in (
        "t_s",
        "frame",
        "face",
        "detected",
        "smile",
        "yawn",
        "blink",
        "mouth_open",
        "yaw_deg",
        "pitch_deg",
        "roll_deg",
        "face_px",
        "jawOpen",
        "mouthSmileLeft",
    ):
        assert col in TRACK.names
    assert len(TRACK.names) == len(set(TRACK.names)) == 13 + 52


def test_safe_cell_blocks_formula_injection():
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert safe_cell("+1+2") == "'+1+2"  # a spreadsheet would compute it
    assert safe_cell("+12") == "+12"  # a plain signed number stays a number
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-cmd") == "'-cmd"
    assert safe_cell("-1.5") == "-1.5"
    assert safe_cell(float("nan")) == "" and safe_cell(None) == ""
    assert safe_cell(0.123456789) == "0.123457" and safe_cell(3) == "3" and safe_cell(True) == "1"


# -- figures: the README quotes benchmarks/RESULTS.md, which benchmarks/run_all.py writes --------

BENCH = ROOT / "benchmarks"
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")


def _results_sections() -> dict[str, str]:
    text = (BENCH / "RESULTS.md").read_text(encoding="utf-8")
    parts = re.split(r"(?m)^## ", text)[1:]
    return {p.split("\n", 1)[0].strip(): p for p in parts}


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", BENCH / "run_all.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_run_all_runs_every_benchmark_script_and_results_has_each():
    scripts = {p.stem for p in BENCH.glob("*.py")} - {"run_all"}
    names = {name for name, *_ in _run_all().RUNS}
    assert names == scripts
    sections = _results_sections()
    assert set(sections) == names, "rerun python benchmarks/run_all.py"
    for name, text in sections.items():
        assert "(failed" not in text.split("\n", 3)[2], f"{name} failed in RESULTS.md"


def test_docs_quote_figures_only_from_results():
    blocks = re.findall(r"<!-- results: (\w+) -->(.*?)<!-- /results -->", DOCS, flags=re.DOTALL)
    assert len(blocks) >= 6
    sections = _results_sections()
    for name, text in blocks:
        have = {float(n) for n in NUMBER.findall(sections[name])}  # 19 quotes 19.0 too
        quoted = NUMBER.findall(re.sub(r"`[^`]*`", "", text))  # commands and names are not figures
        missing = [n for n in quoted if float(n) not in have]
        assert not missing, (
            f"the docs quote {missing} in a {name} block; RESULTS.md's {name} section has no such figure"
        )


MEASURED_BEFORE_HASHES: set[str] = set()
"""Sections run before RESULTS.md recorded the code they measured (issue 33, item 4): all have
been rerun since, so every quoted section is checked."""


def test_every_section_the_docs_quote_was_measured_on_the_code_as_it_is():
    run_all = _run_all()
    measures = {name: paths for name, _, _, paths in run_all.RUNS}
    sections = _results_sections()
    quoted = set(re.findall(r"<!-- results: (\w+) -->", DOCS))
    stale = []
    for name in sorted(quoted - MEASURED_BEFORE_HASHES):
        m = run_all.CODE_LINE.search(sections[name])
        if m is None or m.group(1) != run_all.code_hash(measures[name]):
            stale.append(name)
    assert not stale, f"rerun python benchmarks/run_all.py --only {' '.join(stale)}: the code they measure changed"
    assert MEASURED_BEFORE_HASHES <= quoted and not any(
        run_all.CODE_LINE.search(sections[n]) for n in MEASURED_BEFORE_HASHES
    ), "a section of MEASURED_BEFORE_HASHES has been rerun: take it out of that set"


def test_the_code_hash_changes_with_the_code_it_covers_and_only_with_it(tmp_path):
    code_hash = _run_all().code_hash
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "sub" / "b.py").write_text("y = 2\n")
    (tmp_path / "other.py").write_text("z = 3\n")
    before = code_hash(("pkg",), root=tmp_path)
    (tmp_path / "other.py").write_text("z = 4\n")
    assert code_hash(("pkg",), root=tmp_path) == before
    (tmp_path / "pkg" / "sub" / "b.py").write_text("y = 3\n")
    assert code_hash(("pkg",), root=tmp_path) != before
    assert code_hash(("pkg/a.py",), root=tmp_path) != code_hash(("pkg",), root=tmp_path)


def test_every_benchmark_the_docs_name_has_a_results_block():
    for name in set(re.findall(r"benchmarks/(\w+)\.py", DOCS)) - {"run_all"}:
        assert f"<!-- results: {name} -->" in DOCS, name


def test_every_test_the_reliability_tables_name_exists():
    """The bad-input and fault tables of docs/methods/reliability.md cite tests: each must exist, so
    the table says what the tests show (a renamed or dropped test fails here)."""
    import fnmatch

    text = (ROOT / "docs" / "methods" / "reliability.md").read_text(encoding="utf-8")
    cited, current = [], None
    for m in re.finditer(r"`(?:(test_\w+\.py|conftest\.py))?(?:::)?([\w*]+)?`", text):
        if m.group(1):
            current = m.group(1)
        if current and m.group(2) and m.group(2).startswith(("test_", "sessions_", "no_")):
            cited.append((current, m.group(2)))
    assert len(cited) > 40
    for file, name in cited:
        names = re.findall(r"^(?:async )?def (\w+)", (ROOT / "tests" / file).read_text(encoding="utf-8"), re.M)
        assert fnmatch.filter(names, name), f"reliability.md cites {file}::{name}, which does not exist"


def test_the_docs_screenshot_is_what_the_script_makes_of_the_code_today():
    """docs/img/record-window.png comes from docs/make_screenshots.py (the record window at the
    first "yawn now" cue); a changed window or cue and a stale image fail here."""
    import cv2
    import numpy as np

    spec = importlib.util.spec_from_file_location("make_screenshots", ROOT / "docs" / "make_screenshots.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    made = mod.record_window()
    shipped = cv2.imread(str(ROOT / "docs" / "img" / "record-window.png"))
    assert shipped is not None and made.shape == shipped.shape
    # the same pixels, but for a video decoder's rounding on another machine
    assert np.abs(made.astype(int) - shipped.astype(int)).mean() < 1.0
    assert (
        "![" in PAGES["docs/tutorials/classroom.md"] and "img/record-window.png" in PAGES["docs/tutorials/classroom.md"]
    )
