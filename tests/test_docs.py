"""The README documents the install and test commands, every command and every schema."""

from pathlib import Path

import pytest

from mimicry.cli import main
from mimicry.schema import ALL_SCHEMAS, TRACK, safe_cell

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_has_install_and_test_commands_and_ci_runs_them():
    assert 'python -m pip install -e ".[test]"' in README
    assert "python -m pytest" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'python -m pip install -e ".[test]"' in ci and "python -m pytest" in ci


@pytest.mark.parametrize("schema", ALL_SCHEMAS, ids=lambda s: s.name)
def test_readme_schema_tables_are_generated_from_schema(schema):
    assert schema.markdown() in README, f"README out of date: run python -m mimicry.schema ({schema.name})"


def test_every_command_is_documented():
    for name in main.commands:
        assert f"mimicry {name}" in README


def test_track_schema_has_required_columns():
    for col in ("t_s", "frame", "face", "detected", "smile", "yawn", "blink", "mouth_open",
                "yaw_deg", "pitch_deg", "roll_deg", "jawOpen", "mouthSmileLeft"):
        assert col in TRACK.names
    assert len(TRACK.names) == len(set(TRACK.names)) == 12 + 52


def test_safe_cell_blocks_formula_injection():
    assert safe_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert safe_cell("+1+2") == "'+1+2"  # a spreadsheet would compute it
    assert safe_cell("+12") == "+12"  # a plain signed number stays a number
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-cmd") == "'-cmd"
    assert safe_cell("-1.5") == "-1.5"
    assert safe_cell(float("nan")) == "" and safe_cell(None) == ""
    assert safe_cell(0.123456789) == "0.123457" and safe_cell(3) == "3" and safe_cell(True) == "1"
