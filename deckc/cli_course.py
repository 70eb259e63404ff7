"""The commands that start a course and its lessons: `deckc init`, `deckc new`, `deckc schema`."""
from __future__ import annotations

import json
from pathlib import Path

import click


@click.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default=".", required=False)
def init(folder: Path) -> None:
    """Make a course folder in FOLDER (default: here): lesson/ with a first lesson that uses the
    main blocks, exercises/softmax/ (one small exercise: solution, tests, texts), README.md.
    Nothing that exists is overwritten. Then: cd FOLDER && deckc build.

    \b
    Examples:
      deckc init ml-course && cd ml-course && deckc build
      deckc init            # in an empty folder
    """
    from .scaffold import init_course

    for path in init_course(folder):
        click.echo(f"wrote {path}")
    click.echo(f"next: cd {folder} && deckc build", err=True)


@click.command()
@click.argument("lesson_id")
def new(lesson_id: str) -> None:
    """Add lesson/LESSON_ID.yaml to the course folder you are in, from a template that uses the
    main blocks (section, math, bullets with reveal, code, a chart of your own numbers, a quiz).

    \b
    Examples:
      deckc new queries-keys-values
      deckc new queries-keys-values && deckc build lesson/queries-keys-values.yaml
    """
    from .scaffold import new_lesson

    click.echo(f"wrote {new_lesson(lesson_id, Path('.'))}")


@click.command()
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the schema to this file instead of standard output.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of the lesson spec (for editor autocompletion and validation).

    \b
    Example (VS Code YAML extension):
      deckc schema -o lesson.schema.json
      # then in lesson/*.yaml:  # yaml-language-server: $schema=../lesson.schema.json
    """
    from .spec.lesson_schema import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
