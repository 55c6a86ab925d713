import pytest

from mimicry.stimuli.library import load_library
from mimicry.stimuli.protocol import ProtocolError, load_protocol, resolve_blocks

ROOT = __import__("pathlib").Path(__file__).parent.parent


@pytest.mark.parametrize("name", ["contagious-yawning.toml", "smile-mimicry.toml"])
def test_shipped_protocols_load_and_resolve(name):
    p = load_protocol(ROOT / "protocols" / name)
    lib = load_library()
    blocks, seed = resolve_blocks(p, lib, seed=7)
    kinds = {b.kind for b in blocks}
    assert "control" in kinds and len(blocks) >= 5
    for kind in kinds:  # distinct clips while there are enough
        ids = [b.stimulus_id for b in blocks if b.kind == kind]
        assert len(set(ids)) == min(len(ids), len(lib.of_kind(kind)))


def test_shipped_protocols_show_enough_events_for_their_primary_test():
    """smile-mimicry: at least 12 actor smiles (a viewer who follows reaches p < 0.01, see
    test_verdicts); contagious-yawning: about 3 minutes of yawn clips, as in the literature."""
    import pandas as pd

    lib = load_library()

    def shown(name, kind):
        blocks, _ = resolve_blocks(load_protocol(ROOT / "protocols" / name), lib, seed=3)
        return [b.stimulus_id for b in blocks if b.kind == kind]

    smiles = sum(
        int((pd.read_csv(lib.events_path(i)).kind == "smile").sum()) for i in shown("smile-mimicry.toml", "smile")
    )
    assert smiles >= 12
    yawn_s = sum(lib.get(i).duration_s for i in shown("contagious-yawning.toml", "yawn"))
    yawns = sum(
        int((pd.read_csv(lib.events_path(i)).kind == "yawn").sum()) for i in shown("contagious-yawning.toml", "yawn")
    )
    assert 170 <= yawn_s <= 300 and yawns >= 12


def test_shuffle_is_reproducible_with_a_seed(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text(
        '[protocol]\norder = "shuffle"\n[[block]]\nkind = "yawn"\nrepeat = 3\n[[block]]\nkind = "control"\nrepeat = 3\n'
    )
    lib = load_library()
    a, sa = resolve_blocks(load_protocol(f), lib, seed=11)
    b, sb = resolve_blocks(load_protocol(f), lib, seed=11)
    c, _ = resolve_blocks(load_protocol(f), lib, seed=12)
    assert a == b and sa == sb == 11 and [x.stimulus_id for x in a] != [x.stimulus_id for x in c]
    f.write_text(f.read_text().replace('order = "shuffle"', 'order = "shuffle"\nseed = 5'))
    d, sd = resolve_blocks(load_protocol(f), lib, seed=99)
    assert sd == 5  # the protocol's own seed wins and is reported


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("[protocol\n", "TOML syntax error"),
        ("[[block]]\nkind = 'yawn'\n", "missing \\[protocol\\]"),
        (
            "[protocol]\nbaseline_s = -3\n[[block]]\nkind = 'yawn'\n",
            "\\[protocol\\]: field 'baseline_s' must be between 0 and 3600",
        ),
        ("[protocol]\nisi_s = 'long'\n[[block]]\nkind = 'yawn'\n", "field 'isi_s' must be a number"),
        ("[protocol]\nisi_s = 99999\n[[block]]\nkind = 'yawn'\n", "field 'isi_s' must be between"),
        ("[protocol]\norder = 'random'\n[[block]]\nkind = 'yawn'\n", "field 'order'"),
        ("[protocol]\ncolour = 1\n[[block]]\nkind = 'yawn'\n", "unknown field.*colour"),
        ("[protocol]\nname = 'x'\n", "no \\[\\[block\\]\\] tables"),
        ("[protocol]\n[[block]]\nkind = 'laugh'\n", "block #1: field 'kind' must be one of"),
        ("[protocol]\n[[block]]\nkind = 'yawn'\nstimulus = 'yawn-man-a'\n", "block #1: give exactly one"),
        ("[protocol]\n[[block]]\nkind = 'yawn'\nrepeat = 0\n", "field 'repeat'"),
        ("[protocol]\nseed = -1\n[[block]]\nkind = 'yawn'\n", "field 'seed'"),
    ],
)
def test_protocol_errors_name_file_and_field(tmp_path, text, pattern):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ProtocolError, match=pattern) as e:
        load_protocol(f)
    assert str(f) in str(e.value)


def test_unknown_stimulus_id(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text("[protocol]\n[[block]]\nstimulus = 'no-such-clip'\n")
    with pytest.raises(ProtocolError, match="block #1: unknown stimulus 'no-such-clip'"):
        resolve_blocks(load_protocol(f), load_library())
