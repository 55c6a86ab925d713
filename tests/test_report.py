"""`mimicry report` and `mimicry summary`: self-contained pages whose words match the CSVs."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import need

from mimicry.analysis.contagion import event_locked
from mimicry.cli import main
from mimicry.report.page import face_gaps, fmt_p, plain_summary, write_report
from mimicry.report.summary import find_sessions, write_summary
from mimicry.session.folder import ANALYSIS_FILES, write_session
from mimicry.session.simulate import simulate_session

FIGURE_TITLES = (
    "Timeline",
    "Cross-correlation by lag",
    "Around the video&#x27;s smiles and yawns",
    "Yawns in yawn clips and control clips",
)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def sessions(tmp_path_factory) -> Path:
    """A folder with a following viewer, an independent viewer (aborted early), a session with no
    face, and a broken folder."""
    root = tmp_path_factory.mktemp("sessions")
    s = simulate_session(seed=1, face_loss=((50.0, 54.0),))
    write_session(root / "follow", s.frames, s.stimulus_log, {**s.meta, "participant": "P01"})
    s = simulate_session(seed=2, smile_lag_s=None, yawn_lag_s=None, end_s=150)
    write_session(root / "null", s.frames, s.stimulus_log, {**s.meta, "participant": "P02"})
    s = simulate_session(seed=3, blocks=("smile", "yawn"))
    frames = s.frames.assign(
        face=pd.array([pd.NA] * len(s.frames), dtype="Int64"), detected=0, smile=np.nan, yawn=np.nan
    )
    write_session(root / "noface", frames, s.stimulus_log, {**s.meta, "participant": "P03", "status": "running"})
    (root / "broken").mkdir()
    (root / "broken" / "frames.csv").write_text("t_s,frame\n0.0,0\n")
    return root


@pytest.fixture(scope="module")
def reports(sessions) -> dict[str, str]:
    return {name: write_report(sessions / name).read_text(encoding="utf-8") for name in ("follow", "null", "noface")}


def _sentences(page: str) -> str:
    return html.unescape(" ".join(re.findall(r"<div class=\"summary\">(.*?)</div>", page, flags=re.DOTALL)))


def test_report_runs_the_analysis_first(sessions, reports):
    for name in ("follow", "null", "noface"):
        assert all((sessions / name / n).is_file() for n in ANALYSIS_FILES)
        assert (sessions / name / "report.html").is_file()


@pytest.mark.parametrize("name", ["follow", "null", "noface"])
def test_report_is_self_contained(reports, name):
    page = reports[name]
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for needle in ('src="http', 'href="http', "url(http", "@import", "<script", "<link", "<iframe"):
        assert needle not in page, needle
    # namespaces inside the SVGs are identifiers, not loads; nothing else may name a web address
    stripped = re.sub(r"xmlns(:\w+)?=\"[^\"]*\"", "", page)
    assert "http" not in stripped


def test_report_has_all_figures(reports):
    page = reports["follow"]
    for title in FIGURE_TITLES:
        assert f">{title}</h2><figure><svg" in page, title
    assert page.count("<svg") == 4
    # the timeline shows the face-loss gap (hatched) and both kinds of events
    assert "hatched: no face" in page and "viewer event" in page and "video event" in page


def test_plain_language_numbers_match_verdicts(sessions, reports):
    v = pd.read_csv(sessions / "follow" / "verdicts.csv").set_index("measure")
    sm, yw = v.loc["smile_mimicry"], v.loc["yawn_contagion"]
    assert sm.verdict == "detected" and yw.verdict == "detected"
    text = _sentences(reports["follow"])
    m = re.search(
        r"You smiled along with the video, typically ([\d.]+) s after the person in the video: after each "
        r"smile in the video your smile rose ([\d.]+) more than after random moments of the same clips "
        r"\(95% CI ([\d.]+) to ([\d.]+); (p [<=] [\d.]+); (\d+) smiles in the video\)\. Smile mimicry "
        r"detected\.",
        text,
    )
    assert m, text
    trials = pd.read_csv(sessions / "follow" / "trials.csv")
    lat = trials[(trials.event == "smile") & (trials.responded == 1)].latency_s
    assert float(m.group(1)) == round(lat.median(), 1) and abs(lat.median() - 0.8) < 0.3  # simulated lag 0.8 s
    assert [float(m.group(i)) for i in (2, 3, 4)] == [round(sm.effect, 2), round(sm.ci_lo, 2), round(sm.ci_hi, 2)]
    assert m.group(5) == fmt_p(sm.p_value) and int(m.group(6)) == sm.n_events
    c = pd.read_csv(sessions / "follow" / "contagion.csv").iloc[0]
    m = re.search(
        r"You yawned (\d+) times? within 15 s after a yawn in the video \(([\d.]+) min watched\) and "
        r"(\d+) times? in the same windows of the control clips \(([\d.]+) min\)\. That is more than any "
        r"rate in the control clips \(95% CI ([\d.]+) to no upper limit; (p [<=] [\d.]+)\)\. Contagious "
        r"yawning detected\.",
        text,
    )
    assert m, text
    assert [int(m.group(1)), int(m.group(3))] == [c.yawns_yawn_windows, c.yawns_control_windows]
    assert [float(m.group(2)), float(m.group(4))] == [
        round(c.minutes_yawn_windows, 1),
        round(c.minutes_control_windows, 1),
    ]
    assert float(m.group(5)) == round(yw.ci_lo, 1) and m.group(6) == fmt_p(yw.p_value)
    assert f"Mimicry index: {c.mimicry_index:.0f} out of 100" in text and c.mimicry_index > 50


def test_plain_language_for_an_independent_viewer(sessions, reports):
    v = pd.read_csv(sessions / "null" / "verdicts.csv").set_index("measure")
    sm = v.loc["smile_mimicry"]
    assert sm.verdict == "not_detected"
    text = _sentences(reports["null"])
    m = re.search(
        r"your smile did not rise after the video's smiles more than after random moments \((-?[+\d.]+) "
        r"above chance; 95% CI (-?[\d.]+) to (-?[\d.]+); (p [<=] [\d.]+); (\d+) smiles in the video\)\. "
        r"No smile mimicry detected\.",
        text,
    )
    assert m, text
    assert float(m.group(1)) == round(sm.effect, 2) and m.group(4) == fmt_p(sm.p_value)
    assert (
        "You yawned 0 times within 15 s after a yawn" in text and "Cannot tell whether yawning was contagious" in text
    )
    assert "Mimicry index: 0 out of 100" in text


def test_incomplete_and_faceless_sessions_say_so(reports):
    assert "Incomplete session (aborted)" in reports["null"]
    assert "Incomplete session" not in reports["follow"]
    page = reports["noface"]
    # a 'running' session whose process is gone is closed as 'crashed' by the analysis first
    assert "Incomplete session (crashed)" in page and "No face was found" in page
    assert "Summary" not in page and page.count("<svg") == 0


def _verdicts(*rows):
    return pd.DataFrame(
        [
            dict(zip(("face", "measure", "n_events", "effect", "ci_lo", "ci_hi", "p_value", "verdict", "reason"), r))
            for r in rows
        ]
    )


def test_plain_summary_names_faces_when_there_are_several():
    verdicts = _verdicts(
        (0, "smile_mimicry", 12, 0.2, 0.1, 0.3, 0.001, "detected", ""),
        (0, "yawn_contagion", 0, np.nan, np.nan, np.nan, np.nan, "insufficient_data", "no yawn in the clips shown"),
        (1, "smile_mimicry", 12, 0.01, -0.02, 0.04, 0.4, "not_detected", ""),
        (1, "yawn_contagion", 0, np.nan, np.nan, np.nan, np.nan, "insufficient_data", "no yawn in the clips shown"),
    )
    contagion = pd.DataFrame(
        {
            "face": [0, 1],
            "minutes_yawn_blocks": [0.0, 0.0],
            "minutes_control_blocks": [0.0, 0.0],
            "mimicry_index": [np.nan, np.nan],
        }
    )
    out = plain_summary(verdicts, contagion)
    assert out[0][0].startswith("Smiles: Face 0 smiled along with the video: after each smile in the video face 0's")
    assert "face 1's smile did not rise" in out[1][0] and "No smile mimicry detected" in out[1][0]
    assert len(out[0]) == 1  # no yawn or control clips, no index: nothing more is claimed


def test_xcorr_csv_agrees_with_scores(sessions, reports):
    scores = pd.read_csv(sessions / "follow" / "scores.csv")
    xcorr = pd.read_csv(sessions / "follow" / "xcorr.csv")
    for s in scores[scores.r_peak.notna()].itertuples():
        c = xcorr[(xcorr.block.astype(str) == str(s.block)) & (xcorr.face == s.face) & (xcorr.signal == s.signal)]
        assert len(c) == {"smile": 211, "yawn": 511}[s.signal]  # -2 ... +5 s (yawn +15 s) at 30 Hz
        best = c.loc[c.r.idxmax()]
        assert best.r == pytest.approx(s.r_peak, abs=1e-5) and best.lag_s == pytest.approx(s.lag_s, abs=1e-5)
        assert (c.null_lo <= c.null_hi).all()
    pooled = scores[(scores.block == "all") & (scores.kind == scores.signal)]
    for s in pooled.itertuples():  # a significant peak clears the surrogates' 95th percentile, and only then
        band = xcorr[(xcorr.block == "all") & (xcorr.kind == s.kind) & (xcorr.signal == s.signal)]
        assert (s.p_value <= 0.05) == (s.r_peak > band.null_peak_95.iloc[0])
    null_scores = pd.read_csv(sessions / "null" / "scores.csv")
    null_x = pd.read_csv(sessions / "null" / "xcorr.csv")
    s = null_scores[
        (null_scores.block == "all") & (null_scores.kind == "smile") & (null_scores.signal == "smile")
    ].iloc[0]
    band = null_x[(null_x.block == "all") & (null_x.kind == "smile") & (null_x.signal == "smile")]
    assert s.p_value > 0.05 and s.r_peak <= band.null_peak_95.iloc[0]


def test_event_locked_recovers_a_known_response():
    fps = 10.0
    t = np.arange(0, 100, 1 / fps)
    onsets = np.array([10.0, 30.0, 50.0, 70.0])
    v = np.zeros_like(t)
    for o in onsets:  # a 1 s plateau starting 2 s after each onset, heights 0.4 and 0.6
        v[(t >= o + 2) & (t < o + 3)] = 0.4 if o < 40 else 0.6
    avg = event_locked(t, v, onsets, (-2.0, 5.0), fps)
    assert avg.t_rel_s.iloc[0] == -2.0 and avg.t_rel_s.iloc[-1] == 5.0 and (avg.n == 4).all()
    inside = (avg.t_rel_s >= 2.0) & (avg.t_rel_s < 2.95)
    assert np.allclose(avg["mean"][inside], 0.5) and np.allclose(avg["mean"][~inside & (avg.t_rel_s < 1.9)], 0.0)
    se = np.std([0.4, 0.4, 0.6, 0.6], ddof=1) / 2
    assert np.allclose(avg.ci_hi[inside] - avg["mean"][inside], 1.96 * se)
    one = event_locked(t, v, onsets[:1], (-2.0, 5.0), fps)
    assert one.ci_lo.isna().all() and (one.n == 1).all()
    edge = event_locked(t, v, np.array([99.0]), (-2.0, 5.0), fps)  # the window runs past the end
    assert edge.n.iloc[0] == 1 and edge.n.iloc[-1] == 0 and np.isnan(edge["mean"].iloc[-1])


def test_face_gaps():
    t = np.r_[np.arange(1.0, 10.0, 0.1), np.arange(14.0, 20.0, 0.1)]
    gaps = face_gaps(t, 0.0, 25.0)
    assert len(gaps) == 3
    assert gaps[0] == (0.0, 1.0) and gaps[1][0] == pytest.approx(9.9) and gaps[1][1] == pytest.approx(14.0)
    assert gaps[2][0] == pytest.approx(19.9) and gaps[2][1] == 25.0
    assert face_gaps(np.empty(0), 0.0, 5.0) == [(0.0, 5.0)]


def test_summary_lists_the_broken_session_and_writes_the_rest(sessions, reports, tmp_path):
    root = tmp_path / "study"
    shutil.copytree(sessions, root)
    assert [p.name for p in find_sessions(root)] == ["broken", "follow", "noface", "null"]
    r = run("summary", root)
    assert r.exit_code == 0, r.output
    assert "skipped broken:" in r.stderr and "missing column(s)" in r.stderr
    df = pd.read_csv(root / "summary.csv", keep_default_na=False, na_values=[""])
    assert list(df.folder) == ["follow", "noface", "null"]
    assert df.set_index("folder").loc["noface", "face"] != df.set_index("folder").loc["noface", "face"]  # NaN
    follow = df.set_index("folder").loc["follow"]
    scores = pd.read_csv(root / "follow" / "scores.csv")
    s = scores[(scores.block == "all") & (scores.kind == "smile") & (scores.signal == "smile")].iloc[0]
    assert follow.smile_r == pytest.approx(s.r_peak, abs=1e-5) and follow.participant == "P01"
    assert follow.yawns_yawn_blocks > 0 and follow.yawns_control_blocks == 0
    assert follow.smile_verdict == "detected" and follow.yawn_verdict == "detected"
    page = html.unescape((root / "summary.html").read_text(encoding="utf-8"))
    assert "broken" in page and "Skipped 1 unreadable" in page
    assert re.search(
        r"1 of 2 \(50%, 95% CI 9-91%\) participants yawned within the window after a yawn in the video, "
        r"and 0 of 2 \(0%, 95% CI 0-66%\) in the same windows",
        page,
    ), page
    assert "Smile mimicry was detected in 1 of 2 (50%" in page
    tests = pd.read_csv(root / "summary_tests.csv")
    assert list(tests.role) == ["primary", "primary", "secondary", "secondary"]
    assert page.count("<svg") == 2


def test_summary_out_option_and_errors(sessions, tmp_path):
    out = tmp_path / "out" / "study.csv"
    out.parent.mkdir()
    r = run("summary", sessions, "--out", out)
    assert r.exit_code == 0, r.output
    assert out.is_file() and out.with_suffix(".html").is_file()
    r = run("summary", tmp_path / "nope")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "not a folder" in r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run("summary", empty)
    assert r.exit_code == 1 and "no session folders" in r.stderr


def test_report_cli(sessions, tmp_path):
    target = tmp_path / "s"
    shutil.copytree(sessions / "follow", target)
    for name in (*ANALYSIS_FILES, "report.html"):
        (target / name).unlink(missing_ok=True)
    r = run("report", target)
    assert r.exit_code == 0, r.output
    assert (target / "report.html").is_file() and (target / "scores.csv").is_file()
    r = run("report", tmp_path / "missing")
    assert r.exit_code == 1 and "session folder not found" in r.stderr and "Traceback" not in r.output
    r = run("report", sessions / "broken")
    assert r.exit_code == 1 and "missing column(s)" in r.stderr


# -- rendering in a real browser -------------------------------------------------------------------


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "playwright is not installed (pip install -e '.[test]')")
    exe = _chromium()
    need(exe is not None, "no Chromium on this machine (.ci/run installs the Debian package 'chromium')")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        yield b
        b.close()


def _render(browser, path: Path, shot: Path) -> tuple[list[str], list[str], dict]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems, requests = [], []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.screenshot(path=str(shot), full_page=True)
    info = page.evaluate("""() => ({height: document.body.scrollHeight, width: document.body.scrollWidth,
        svgs: [...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().width * s.getBoundingClientRect().height),
        text: document.body.innerText.length})""")
    page.close()
    return problems, requests, info


@pytest.mark.slow
@pytest.mark.parametrize("name", ["follow", "null", "noface", "summary"])
def test_pages_render_in_chromium(browser, sessions, reports, name, tmp_path):
    import cv2

    if name == "summary":
        path = write_summary(sessions, tmp_path / "summary.csv")[1]
    else:
        path = sessions / name / "report.html"
    shot = tmp_path / f"{name}.png"
    problems, requests, info = _render(browser, path, shot)
    assert problems == []
    assert all(u.startswith("file://") for u in requests) and len(requests) == 1, requests
    assert info["width"] <= 1280  # nothing overflows the window sideways
    assert info["text"] > 300
    n_svg = {"follow": 4, "null": 4, "noface": 0, "summary": 2}[name]
    assert len(info["svgs"]) == n_svg and all(a > 200 * 150 for a in info["svgs"])
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[0] >= 800
    assert img.std() > 20  # not a blank page
    if n_svg:  # figures drew coloured lines and shading, not just black text on white
        blue, red = img[..., 0].astype(int), img[..., 2].astype(int)
        assert ((blue - red) > 80).sum() > 2000  # blue viewer lines / bars


SCRIPT = '<script>alert(1)</script><img src=x onerror="alert(2)">'
AMP_ID = 'yawn&"<>x'


@pytest.mark.slow
def test_user_text_is_escaped_and_shown_in_chromium(browser, tmp_path):
    """A protocol name that is a script, a stimulus id and a folder name with &"<>: nothing runs,
    no element is injected, and the text shows as typed."""
    s = simulate_session(seed=4, blocks=("yawn", "control"))
    log = s.stimulus_log.copy()
    log.loc[log["kind"] == "yawn", "stimulus_id"] = AMP_ID
    root = tmp_path / "sessions"
    folder = root / "<b>bold&"
    write_session(folder, s.frames, log, {**s.meta, "participant": "P01", "protocol": {"name": SCRIPT}})
    pages = [write_report(folder), write_summary(root, tmp_path / "summary.csv")[1]]
    for path in pages:
        page = browser.new_page()
        dialogs, errors = [], []
        page.on("dialog", lambda d, dialogs=dialogs: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.goto(path.resolve().as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        found = page.evaluate("""() => ({scripts: document.querySelectorAll('script').length,
            imgs: document.querySelectorAll('img').length, bold: document.querySelectorAll('b').length,
            text: document.body.innerText,
            svgText: [...document.querySelectorAll('svg text')].map(t => t.textContent).join('|')})""")
        page.close()
        assert dialogs == [] and errors == [] and found["scripts"] == 0 and found["imgs"] == 0, (path.name, found)
        assert SCRIPT in found["text"], path.name  # shown as text
        if path.name == "report.html":
            assert f"yawn: {AMP_ID}" in found["svgText"]  # the clip's label in the yawn figure
        else:
            assert "<b>bold&" in found["text"] and found["bold"] == 0


def test_a_viewer_who_smiles_before_the_video_is_never_said_to_smile_along(tmp_path):
    """A strong, significant cross-correlation at a negative lag (the viewer leads by 1.3 s) but a
    primary test that says not detected: no sentence says the viewer smiled along."""
    verdicts = _verdicts(
        (
            0,
            "smile_mimicry",
            12,
            0.13,
            0.08,
            0.19,
            0.048,
            "not_detected",
            "the viewer's smiles started before the actor's (median latency -1.27 s): not following",
        ),
        (0, "yawn_contagion", 0, np.nan, np.nan, np.nan, np.nan, "insufficient_data", "no yawn"),
    )
    contagion = pd.DataFrame(
        {"face": [0], "minutes_yawn_blocks": [0.0], "minutes_control_blocks": [0.0], "mimicry_index": [0.0]}
    )
    (line, index) = plain_summary(verdicts, contagion)[0]
    assert "smiled along" not in line and "No smile mimicry detected" in line and "started before the actor's" in line
    assert index.startswith("Mimicry index: 0 out of 100")
    from mimicry.report.summary import summary_html
    from mimicry.schema import SUMMARY

    rows = pd.DataFrame(
        {
            "folder": ["a", "b"],
            "participant": ["P1", "P2"],
            "face": pd.array([0, 0], dtype="Int64"),
            "smile_lag_s": [-1.27, 0.8],
            "smile_p": [0.000999, 0.001],
            "smile_verdict": ["not_detected", "detected"],
            "smile_effect": [0.13, 0.2],
        }
    ).reindex(columns=SUMMARY.names)
    page = summary_html(rows, [])
    assert "Smile mimicry was detected in 1 of 2 (50%" in page


def test_a_folder_analysed_by_an_older_mimicry_still_reports_and_summarises(sessions, reports, tmp_path):
    """Before verdicts.csv and trials.csv: scores.csv had p_value_shuffle and no wlcc_z, contagion.csv
    no window columns, and frames.csv only the required columns. Report and summary analyse again."""
    root = tmp_path / "old"
    folder = root / "s"
    shutil.copytree(sessions / "follow", folder)
    for name in ("verdicts.csv", "trials.csv", "analysis_config.json", "report.html"):
        (folder / name).unlink(missing_ok=True)
    frames = pd.read_csv(folder / "frames.csv")
    frames[["t_s", "frame", "face", "detected", "block", "smile", "yawn"]].to_csv(folder / "frames.csv", index=False)
    scores = pd.read_csv(folder / "scores.csv").drop(columns="wlcc_z").assign(p_value_shuffle=0.5)
    scores.to_csv(folder / "scores.csv", index=False)
    contagion = pd.read_csv(folder / "contagion.csv")
    contagion.drop(columns=[c for c in contagion.columns if "windows" in c]).to_csv(
        folder / "contagion.csv", index=False
    )
    r = run("report", folder)
    assert r.exit_code == 0, r.output
    assert pd.read_csv(folder / "verdicts.csv").verdict.tolist() == ["detected", "detected"]
    assert (
        "wlcc_z" in pd.read_csv(folder / "scores.csv").columns
        and pd.read_csv(folder / "trials.csv").head_yaw_deg.isna().all()
    )
    r = run("summary", root)
    assert r.exit_code == 0, r.output
    assert pd.read_csv(root / "summary.csv").smile_verdict.tolist() == ["detected"]


def test_the_report_says_when_the_clips_shown_were_synthetic():
    from mimicry.report.page import _clips_shown

    blocks = [{"stimulus_id": "a", "synthetic": True}, {"stimulus_id": "b", "synthetic": True}]
    assert _clips_shown(2, {"blocks": blocks}) == "2 (all synthetic: animated photos, not filmed people)"
    blocks[1]["synthetic"] = False
    assert "1 of the 2 clips in the plan synthetic" in _clips_shown(2, {"blocks": blocks})
    assert _clips_shown(2, {"blocks": [{"stimulus_id": "a"}]}) == "2"  # a session from before mimicry 0.3
    demo = {"demo": {"clips": ["y1", "y2"], "synthetic_clips": ["y1", "y2"]}}
    assert _clips_shown(3, demo).startswith("3 (all synthetic")
    assert _clips_shown(3, {"demo": {"clips": ["y1"], "synthetic_clips": []}}) == "3"


@pytest.fixture(scope="module")
def one_smile_unseen(tmp_path_factory) -> Path:
    """The following viewer with the face lost around the video's first smile: the smile test
    leaves that smile out while the figures still show it."""
    first = simulate_session(seed=1)
    folder = write_session(tmp_path_factory.mktemp("unseen") / "s", first.frames, first.stimulus_log, first.meta)
    write_report(folder)  # analyses it first
    events = pd.read_csv(folder / "events.csv")
    onset = float(events[(events.source == "stimulus") & (events.kind == "smile")].onset_s.min())
    s = simulate_session(seed=1, face_loss=((onset - 3.0, onset + 4.0),))
    folder = write_session(folder.parent / "unseen", s.frames, s.stimulus_log, {**s.meta, "participant": "P04"})
    write_report(folder)
    return folder


def test_every_count_on_the_page_agrees_with_the_others_and_with_the_files(one_smile_unseen):
    """Issue 32: the summary said 3 smiles where the timeline showed 4 and the onset plot n = 4; the
    index stood on its events unsaid. Each count is read off the page and checked against the files."""
    folder = one_smile_unseen
    page = html.unescape((folder / "report.html").read_text(encoding="utf-8"))
    events = pd.read_csv(folder / "events.csv")
    verdicts = pd.read_csv(folder / "verdicts.csv").set_index("measure")
    c = pd.read_csv(folder / "contagion.csv").iloc[0]
    video = events[events.source == "stimulus"]
    viewer = events[events.source == "viewer"]
    shown = int((video.kind == "smile").sum())
    used = int(verdicts.at["smile_mimicry", "n_events"])
    assert 0 < used < shown, "the case needs a smile left out"
    said = re.search(r"(\d+) of the (\d+) smiles in the video: (\d+) without the face in view", page)
    assert said and [int(g) for g in said.groups()] == [used, shown, shown - used]
    # the timeline's caption, the onset plot's title and the tests table
    marked = re.findall(
        r"Marked: the video's (\d+) smiles? and (\d+) yawns?; the viewer's (\d+) smiles? and (\d+) yawns?", page
    )
    counts = [
        (video.kind == "smile").sum(),
        (video.kind == "yawn").sum(),
        (viewer.kind == "smile").sum(),
        (viewer.kind == "yawn").sum(),
    ]
    assert [[int(n) for n in m] for m in marked] == [[int(n) for n in counts]]
    assert re.findall(r"smile onsets \(n = (\d+)\)", page) == [str(shown)]
    assert re.findall(r"yawn onsets \(n = (\d+)\)", page) == [str(int((video.kind == "yawn").sum()))]
    assert re.findall(r"<td>smile_mimicry</td><td>[^<]*</td><td>(\d+)</td>", page) == [str(used)]
    # the index, in the summary and under its bar: the events it rests on and its interval
    basis = re.findall(
        r"95% interval (\d+) to (\d+); from the smile test \((\d+) smiles in the video\) and the yawn test \((\d+) viewer yawns\)",
        page,
    )
    assert len(basis) == 2 and set(basis) == {basis[0]}
    lo, hi, smiles, yawns = (int(n) for n in basis[0])
    assert (smiles, yawns) == (used, int(verdicts.at["yawn_contagion", "n_events"]))
    assert lo <= round(c.mimicry_index) <= hi
    # the yawn sentence and the yawn figure
    said = re.search(
        r"You yawned (\d+) times? within 15 s after a yawn in the video .*? and (\d+) times? in the same windows", page
    )
    assert said and [int(g) for g in said.groups()] == [c.yawns_yawn_windows, c.yawns_control_windows]
    spans = pd.read_csv(folder / "stimulus_log.csv").groupby("block").agg(kind=("kind", "first"))
    kinds = viewer[viewer.kind == "yawn"].block.map(spans.kind)
    onsets = re.search(r"The viewer's yawn onsets: (\d+) in yawn clips, (\d+) in control clips", page)
    assert onsets and [int(g) for g in onsets.groups()] == [(kinds == "yawn").sum(), (kinds == "control").sum()]
    assert int(onsets[1]) >= c.yawns_yawn_windows and int(onsets[2]) >= c.yawns_control_windows
