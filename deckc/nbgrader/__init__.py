"""The nbgrader adapter: everything deckc knows about nbgrader, and the only place that knows it.

- cells.py: nbgrader's cell metadata (schema 3) and region markers (solution, hidden tests,
  mark scheme): reading, writing, the checksum; deckc's cell roles as nbgrader flags;
- config.py: the course's nbgrader_config.py: the one deckc writes, and loading a course's;
- layout.py: the course folder (source/, release/, submitted/, autograded/, feedback/, the
  gradebook) as nbgrader's CourseDirectory lays it out;
- installed.py: facts about the installed nbgrader, read from its files without importing it;
- release.py (+ preprocessors.py, native_gradebook.py): generate_assignment, natively;
- command.py: nbgrader's own command line in a subprocess (generate_assignment when the native
  release cannot be sure);
- migrate.py: a course of deckc's earlier per-lesson layout moved into the module's course;
- migrate.py: a course folder of the per-lesson layout moved into the module's course (graders'
  folders, gradebook rows);
- gradebook.py: the gradebook through nbgrader.api (grading only);
- converters.py: what deckc changes in nbgrader's converters when it grades (grading only).

Importing this package imports nothing: `deckc build` never loads nbgrader (~3.5 s); only
gradebook.py and converters.py import it, and only grading processes load those.
"""
