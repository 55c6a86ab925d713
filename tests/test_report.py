"""`mimicry report` and `mimicry summary`: self-contained pages whose words match the CSVs."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import need
from click.testing import CliRunner

from mimicry.analysis.contagion import event_locked
from mimicry.cli import main
from mimicry.report import face_gaps, fmt_p, plain_summary, write_report
from mimicry.session import ANALYSIS_FILES, write_session
from mimicry.simulate import simulate_session
from mimicry.summary import find_sessions, write_summary, yawn_contagion_test

FIGURE_TITLES = ("Timeline", "Cross-correlation by lag", "Around the video&#x27;s smiles and yawns",
                 "Yawns in yawn clips and control clips")


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
    frames = s.frames.assign(face=pd.array([pd.NA] * len(s.frames), dtype="Int64"), detected=0, smile=np.nan,
                             yawn=np.nan)
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
    for needle in ("src=\"http", "href=\"http", "url(http", "@import", "<script", "<link", "<iframe"):
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


def test_plain_language_numbers_match_scores(sessions, reports):
    scores = pd.read_csv(sessions / "follow" / "scores.csv")
    s = scores[(scores.block == "all") & (scores.kind == "smile") & (scores.signal == "smile")].iloc[0]
    text = _sentences(reports["follow"])
    m = re.search(r"You smiled along with the video, about ([\d.]+) s after the person in the video "
                  r"\(r = ([\d.]+)\)\. That match was closer than ([\d.]+)% of shuffled comparisons \((p [<=] [\d.]+)\)",
                  text)
    assert m, text
    assert float(m.group(1)) == round(s.lag_s, 1) and abs(s.lag_s - 0.8) < 0.1  # simulated lag 0.8 s
    assert float(m.group(2)) == round(s.r_peak, 2)
    assert float(m.group(3)) == round(100 * (1 - s.p_value), 1)
    assert m.group(4) == fmt_p(s.p_value)
    c = pd.read_csv(sessions / "follow" / "contagion.csv").iloc[0]
    m = re.search(r"You yawned (\d+) times? during yawn clips \([\d.]+ min\) and (\d+) times? during control clips.*?"
                  r"(\d+) of the (\d+) yawns? shown were followed by a yawn from you within 15 s "
                  r"\(median delay ([\d.]+) s\)", text)
    assert m, text
    assert [int(m.group(i)) for i in (1, 2, 3, 4)] == [c.yawns_yawn_blocks, c.yawns_control_blocks,
                                                       c.contagious_yawns, c.stimulus_yawns]
    assert float(m.group(5)) == round(c.latency_median_s, 1)
    assert f"Mimicry index: {c.mimicry_index:.0f} out of 100" in text


def test_plain_language_for_an_independent_viewer(sessions, reports):
    scores = pd.read_csv(sessions / "null" / "scores.csv")
    s = scores[(scores.block == "all") & (scores.kind == "smile") & (scores.signal == "smile")].iloc[0]
    assert s.p_value > 0.05
    text = _sentences(reports["null"])
    m = re.search(r"your smiles did not follow the video more than chance would: the best match \(r = (-?[\d.]+), "
                  r".*?\) was equalled by ([\d.]+)% of shuffled comparisons \(p = ([\d.]+)\)", text)
    assert m, text
    assert float(m.group(1)) == round(s.r_peak, 2) and float(m.group(3)) == round(s.p_value, 3)
    assert "You yawned 0 times during yawn clips" in text


def test_incomplete_and_faceless_sessions_say_so(reports):
    assert "Incomplete session (aborted)" in reports["null"]
    assert "Incomplete session" not in reports["follow"]
    page = reports["noface"]
    # a 'running' session whose process is gone is closed as 'crashed' by the analysis first
    assert "Incomplete session (crashed)" in page and "No face was found" in page
    assert "Summary" not in page and page.count("<svg") == 0


def test_plain_summary_names_faces_when_there_are_several():
    scores = pd.DataFrame({"block": ["all", "all"], "kind": ["smile", "smile"], "signal": ["smile", "smile"],
                           "face": [0, 1], "r_peak": [0.7, 0.1], "lag_s": [0.5, -0.3], "p_value": [0.001, 0.6]})
    contagion = pd.DataFrame({"face": [0, 1], "minutes_yawn_blocks": [0.0, 0.0], "minutes_control_blocks": [0.0, 0.0],
                              "mimicry_index": [np.nan, np.nan]})
    out = plain_summary(scores, contagion)
    assert out[0][0].startswith("Smiles: Face 0 smiled along with the video, about 0.5 s after")
    assert "face 1's smiles did not follow" in out[1][0] and "about 0.3 s before" in out[1][0]
    assert len(out[0]) == 1  # no yawn or control clips, no index: nothing more is claimed


def test_xcorr_csv_agrees_with_scores(sessions, reports):
    scores = pd.read_csv(sessions / "follow" / "scores.csv")
    xcorr = pd.read_csv(sessions / "follow" / "xcorr.csv")
    for s in scores[scores.r_peak.notna()].itertuples():
        c = xcorr[(xcorr.block.astype(str) == str(s.block)) & (xcorr.face == s.face) & (xcorr.signal == s.signal)]
        assert len(c) == 211  # -2 ... +5 s at 30 Hz
        best = c.loc[c.r.idxmax()]
        assert best.r == pytest.approx(s.r_peak, abs=1e-5) and best.lag_s == pytest.approx(s.lag_s, abs=1e-5)
        assert (c.null_lo <= c.null_hi).all()
    pooled = scores[(scores.block == "all") & (scores.kind == scores.signal)]
    for s in pooled.itertuples():  # a significant peak clears the surrogates' 95th percentile, and only then
        band = xcorr[(xcorr.block == "all") & (xcorr.kind == s.kind) & (xcorr.signal == s.signal)]
        assert (s.p_value <= 0.05) == (s.r_peak > band.null_peak_95.iloc[0])
    null_scores = pd.read_csv(sessions / "null" / "scores.csv")
    null_x = pd.read_csv(sessions / "null" / "xcorr.csv")
    s = null_scores[(null_scores.block == "all") & (null_scores.kind == "smile") & (null_scores.signal == "smile")].iloc[0]
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


def test_mcnemar_exact():
    # 8 participants yawned only during yawn clips, 1 only during control clips, 3 both, 4 neither
    yawn = [1] * 8 + [0] + [2] * 3 + [0] * 4
    ctrl = [0] * 8 + [1] + [1] * 3 + [0] * 4
    df = pd.DataFrame({"face": 0, "minutes_yawn_blocks": 1.0, "minutes_control_blocks": 1.0,
                       "yawns_yawn_blocks": yawn, "yawns_control_blocks": ctrl})
    test = yawn_contagion_test(df)
    assert (test.n, test.yawn_only, test.control_only, test.both, test.neither) == (16, 8, 1, 3, 4)
    assert test.p_mcnemar == pytest.approx(2 * (1 + 9) / 2 ** 9)  # two-sided binomial, 1 of 9 discordant
    df.loc[0, "minutes_control_blocks"] = 0.0  # saw no control clip: not a pair
    assert yawn_contagion_test(df).n == 15


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
    page = (root / "summary.html").read_text(encoding="utf-8")
    assert "broken" in page and "Skipped 1 unreadable" in page
    assert "1 of 2 participants yawned during yawn clips and 0 of 2 during control clips" in page
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


SCRIPT = "<script>alert(1)</script><img src=x onerror=\"alert(2)\">"
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
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
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
    """A strong, significant match at a negative lag (the viewer leads by 1.3 s): the sentence
    says it is not mimicry, and the summary page does not count it as smiling along."""
    scores = pd.DataFrame({"block": ["all"], "kind": ["smile"], "signal": ["smile"], "face": [0], "r_peak": [0.83],
                           "lag_s": [-1.27], "p_value": [0.000999]})
    contagion = pd.DataFrame({"face": [0], "minutes_yawn_blocks": [0.0], "minutes_control_blocks": [0.0],
                              "mimicry_index": [np.nan]})
    (line,) = plain_summary(scores, contagion)[0]
    assert "smiled along" not in line and "not mimicry" in line and "about 1.3 s before" in line
    from mimicry.schema import SUMMARY
    from mimicry.summary import summary_html

    rows = pd.DataFrame({"folder": ["a", "b"], "face": pd.array([0, 0], dtype="Int64"), "smile_lag_s": [-1.27, 0.8],
                         "smile_p": [0.000999, 0.001]}).reindex(columns=SUMMARY.names)
    page = summary_html(rows, [])
    assert "1 of 2 participants smiled along" in page
