"""Canvas's and Moodle's submission downloads named exactly as their code names them (issue 17):
Canvas lib/content_zipper.rb (get_filename, add_upload_submission, add_text_or_url), Moodle
mod/assign/classes/downloader.php (get_student_prefix, load_submissionplugin_filelist): accented
names, LATE marks, anonymous and blind marking, online text, folders with and without the
trailing underscore, team submissions."""
from __future__ import annotations

from pathlib import Path

from deckc.grading import roster
from deckc.grading.intake import from_zip, load_lms_ids
from test_grade_lms import _zip

ASSIGNMENT = "lesson-1"
NOTEBOOKS = {"rnn_step", "attention"}
ROSTER = """id,first_name,last_name,email,lms_user_id,group
jmuller,José,Müller,jose.muller@uni.example,4711,Group A
nchen,Ning,Chen,ning.chen@uni.example,4712,Group A
okeefe,Siobhán,O'Keefe,s.okeefe@uni.example,4713,Group B
"""


def load_roster(tmp_path: Path):
    path = tmp_path / "students.csv"
    path.write_text(ROSTER, encoding="utf-8")
    return roster.load(path)


def test_canvas_names_as_content_zipper_writes_them(tmp_path):
    export = _zip(tmp_path / "canvas.zip", {
        # sortable name "Müller, José" lowercased, non-word characters removed, Unicode letters kept
        "müllerjosé_4711_90001_rnn_step.ipynb": b"{}",
        "chenning_LATE_4712_90002_rnn_step.ipynb": b"{}",            # late: "LATE", uppercase
        "chenning_LATE_4712_90003_attention-1.ipynb": b"{}",         # Canvas's resubmission name
        "chenning_4712_text.html": b"<p>online text</p>",            # online text entry: no notebook
        "müllerjosé_4711_link.html": b"<a>url</a>",
    }, step=7)
    got = from_zip(export, tmp_path / "course", ASSIGNMENT, NOTEBOOKS, roster=load_roster(tmp_path))
    assert sorted(got.added) == [("jmuller", "rnn_step"), ("nchen", "attention"), ("nchen", "rnn_step")]
    assert got.late == ["nchen"] and not got.rejected
    assert sorted(got.ignored) == ["chenning_4712_text.html", "müllerjosé_4711_link.html"]
    ids = load_lms_ids(tmp_path / "course", ASSIGNMENT)
    assert ids["jmuller"]["lms_id"] == "4711" and ids["jmuller"]["lms_name"] == "müllerjosé"
    # Without a roster the accented name becomes an ASCII student id.
    got = from_zip(export, tmp_path / "plain", ASSIGNMENT, NOTEBOOKS)
    assert sorted(s for s, _ in got.added) == ["chenning", "chenning", "mullerjose"]


def _without_utf8_flag(path: Path) -> Path:
    """The zip with bit 11 (names are UTF-8) cleared in every header, as rubyzip writes it by
    default: the names stay UTF-8 bytes, which the zip spec would read as cp437."""
    import struct

    data = bytearray(path.read_bytes())
    for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(sig)
        while i >= 0:
            flags = struct.unpack_from("<H", data, i + at)[0]
            struct.pack_into("<H", data, i + at, flags & ~0x800)
            i = data.find(sig, i + 4)
    path.write_bytes(bytes(data))
    return path


def test_canvas_zip_with_utf8_names_but_no_utf8_flag(tmp_path):
    import zipfile

    export = _without_utf8_flag(_zip(tmp_path / "rubyzip.zip", {"müllerjosé_4711_90001_rnn_step.ipynb": b"{}"}))
    assert zipfile.ZipFile(export).namelist() == ["m├╝llerjos├⌐_4711_90001_rnn_step.ipynb"]   # as cp437
    got = from_zip(export, tmp_path / "course", ASSIGNMENT, NOTEBOOKS, roster=load_roster(tmp_path))
    assert got.added == [("jmuller", "rnn_step")] and not got.rejected
    assert load_lms_ids(tmp_path / "course", ASSIGNMENT)["jmuller"]["lms_name"] == "müllerjosé"


def test_canvas_anonymous_grading(tmp_path):
    export = _zip(tmp_path / "anon.zip", {
        "anon_Xk3p9_90001_rnn_step.ipynb": b"{}",
        "LATE_anon_Qw7z2_90002_rnn_step.ipynb": b"{}",
    }, step=5)
    got = from_zip(export, tmp_path / "course", ASSIGNMENT, NOTEBOOKS)
    assert sorted(got.added) == [("anon_qw7z2", "rnn_step"), ("anon_xk3p9", "rnn_step")]
    assert got.late == ["anon_qw7z2"]


def test_moodle_names_as_downloader_writes_them(tmp_path):
    export = _zip(tmp_path / "moodle.zip", {
        # Moodle >= 4.1, "download submissions in folders" (the default): no trailing underscore
        "José Müller_301_assignsubmission_file/rnn_step.ipynb": b"{}",
        "José Müller_301_assignsubmission_onlinetext/onlinetext.html": b"<p>text</p>",
        # before 4.1: trailing underscore; a sub-folder of the student's upload is kept
        "Ning Chen_302_assignsubmission_file_/work/attention.ipynb": b"{}",
        # flat download (folders switched off)
        "Ning Chen_302_assignsubmission_file_rnn_step.ipynb": b"{}",
        "Ning Chen_302_assignsubmission_onlinetext_onlinetext.html": b"<p>text</p>",
    }, step=3)
    got = from_zip(export, tmp_path / "course", ASSIGNMENT, NOTEBOOKS, roster=load_roster(tmp_path))
    assert sorted(got.added) == [("jmuller", "rnn_step"), ("nchen", "attention"), ("nchen", "rnn_step")]
    assert len(got.ignored) == 2 and not got.rejected
    assert load_lms_ids(tmp_path / "course", ASSIGNMENT)["nchen"]["lms_id"] == "302"


def test_moodle_blind_marking_and_team_submissions(tmp_path):
    blind = _zip(tmp_path / "blind.zip", {
        "Participant_301_assignsubmission_file/rnn_step.ipynb": b"{}",
        "Participant_302_assignsubmission_file/rnn_step.ipynb": b"{}",
    }, step=3)
    got = from_zip(blind, tmp_path / "course", ASSIGNMENT, NOTEBOOKS)
    assert sorted(got.added) == [("participant_301", "rnn_step"), ("participant_302", "rnn_step")]
    # Team submission: one per group, named after the group and its id; each member gets it.
    team = _zip(tmp_path / "team.zip", {"Group A_17_assignsubmission_file/rnn_step.ipynb": b'{"team": 1}',
                                        "Group C_19_assignsubmission_file/rnn_step.ipynb": b"{}"})
    got = from_zip(team, tmp_path / "course2", ASSIGNMENT, NOTEBOOKS, roster=load_roster(tmp_path))
    assert sorted(got.added) == [("jmuller", "rnn_step"), ("nchen", "rnn_step")]
    assert (tmp_path / "course2" / "submitted" / "nchen" / ASSIGNMENT / "rnn_step.ipynb").read_bytes() == b'{"team": 1}'
    assert "Moodle participant 19 (Group C) is not in the roster" in got.rejected[0][1]
    ids = load_lms_ids(tmp_path / "course2", ASSIGNMENT)
    assert (ids["jmuller"]["lms"], ids["jmuller"]["lms_id"]) == ("moodle-group", "17")   # no participant id
    # Without a roster a group cannot be told from a student: it is graded as one, by its slug.
    got = from_zip(team, tmp_path / "course3", ASSIGNMENT, NOTEBOOKS)
    assert sorted(s for s, _ in got.added) == ["group_a", "group_c"]


def test_canvas_group_submission_goes_to_every_member(tmp_path):
    """Canvas downloads a group assignment (graded as a group) once per group: Assignment#representatives
    names the file after the group ("Group A" -> "groupa") under one member's user id. With a roster
    whose `group` column names it, every member gets the notebooks, and the Canvas export has a
    row with each member's own Canvas id; the member's id is never lent to the others."""
    from types import SimpleNamespace as NS

    from deckc.grading import lms_export

    export = _zip(tmp_path / "canvas.zip", {"groupa_4712_90010_rnn_step.ipynb": b'{"team": 1}',
                                            "groupb_LATE_4713_90011_rnn_step.ipynb": b"{}",
                                            "groupa_4712_90012_attention.ipynb": b"{}"}, step=5)
    course = tmp_path / "course"
    got = from_zip(export, course, ASSIGNMENT, NOTEBOOKS, roster=load_roster(tmp_path))
    assert sorted(got.added) == [("jmuller", "attention"), ("jmuller", "rnn_step"), ("nchen", "attention"),
                                 ("nchen", "rnn_step"), ("okeefe", "rnn_step")]
    assert (course / "submitted" / "jmuller" / ASSIGNMENT / "rnn_step.ipynb").read_bytes() == b'{"team": 1}'
    assert got.late == ["okeefe"] and not got.rejected
    assert any("Canvas group submission 'groupa'" in n and "jmuller, nchen" in n for n in got.notes)
    ids = load_lms_ids(course, ASSIGNMENT)
    assert {s: (r["lms"], r["lms_id"]) for s, r in ids.items()} == {
        "jmuller": ("canvas-group", "4712"), "nchen": ("canvas-group", "4712"), "okeefe": ("canvas-group", "4713")}
    # The export: every member's row, each with the id the roster gives it (none for a member
    # without one: Canvas then matches by name, and the export says so).
    people = [NS(id=s.id, first_name=s.first_name, last_name=s.last_name, email=s.email,
                 lms_user_id=s.lms_user_id if s.id != "nchen" else None) for s in load_roster(tmp_path).students]
    gb = NS(students=people, find_assignment=lambda a: NS(max_score=10.0),
            find_submission=lambda a, s: NS(score=7.0, timestamp=None, total_seconds_late=0.0))
    rows, top = lms_export.collect(gb, ASSIGNMENT, None, ids)
    header, data, problems = lms_export.table("canvas", rows, top, "Team work")
    assert [(r[0], r[1], r[-1]) for r in data[1:]] == [("Müller, José", "4711", "7"), ("Chen, Ning", "", "7"),
                                                       ("O'Keefe, Siobhán", "4713", "7")]
    assert problems == ["nchen: no Canvas ID, SIS User ID or SIS Login ID; Canvas can match the row by name only "
                        "(give --roster with lms_user_id)"]


def test_a_canvas_group_submission_outside_the_roster_s_groups_is_said(tmp_path):
    """Without a roster (or a roster without the group) a group's file cannot be told from a student's:
    the summary says the submission may be a group's, and how to grade every member; a file whose
    user id is a member of another roster group than its name says is refused."""
    export = _zip(tmp_path / "canvas.zip", {"teamrocket_4712_90010_rnn_step.ipynb": b"{}"})
    got = from_zip(export, tmp_path / "c1", ASSIGNMENT, NOTEBOOKS)
    assert got.added == [("teamrocket", "rnn_step")]
    assert any("may be a group's" in n and "--roster" in n and "group" in n for n in got.notes)
    got = from_zip(export, tmp_path / "c2", ASSIGNMENT, NOTEBOOKS, roster=load_roster(tmp_path))
    assert got.added == [("nchen", "rnn_step")]          # by the user id: only that member
    assert any("'teamrocket'" in n and "nchen" in n and "may be a group's" in n for n in got.notes)
    wrong = _zip(tmp_path / "w.zip", {"groupb_4712_90010_rnn_step.ipynb": b"{}"})
    got = from_zip(wrong, tmp_path / "c3", ASSIGNMENT, NOTEBOOKS, roster=load_roster(tmp_path))
    assert not got.added and "nchen is not in roster group 'Group B'" in got.rejected[0][1]
