"""The typed lesson model: what a spec means, independent of YAML and of any output format.

Text fields keep their inline markup (see deckc.markup); the layout turns it into runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union


# ---- blocks: the pieces a content slide's body is made of ----

@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class BulletItem:
    """A bullet with sub-bullets (up to three levels in all)."""

    text: str
    items: tuple[Union[str, "BulletItem"], ...] = ()


@dataclass(frozen=True)
class Bullets:
    items: tuple[Union[str, BulletItem], ...]
    reveal: bool = False          # one item per click (PPTX animation; --pdf-steps pages)


@dataclass(frozen=True)
class Step:
    token: str
    state: str | None = None


@dataclass(frozen=True)
class Steps:
    """Tokens processed one after another, each with the state it leaves behind; the later
    states fade (`fade: forward`) or the earlier ones do (`fade: backward`, gradients)."""

    items: tuple[Step, ...]
    caption: str | None = None
    fade: str = "forward"
    reveal: bool = False          # one step per click


@dataclass(frozen=True)
class Callout:
    text: str
    tone: str = "note"          # problem | insight | note


@dataclass(frozen=True)
class Sentence:
    """An example sentence, shown large, with ==highlighted== words and an optional explanation."""

    text: str
    note: str | None = None


@dataclass(frozen=True)
class Tokens:
    """A sentence split into tokens; `focus` attends to `target` (drawn as an arrow)."""

    tokens: tuple[str, ...]
    focus: str | None = None
    target: str | None = None
    caption: str | None = None


@dataclass(frozen=True)
class Column:
    body: tuple["Block", ...]
    title: str | None = None
    tone: str = "note"


@dataclass(frozen=True)
class Columns:
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Analogy:
    title: str
    text: str
    icon: str | None = None


@dataclass(frozen=True)
class Concept:
    term: str
    definition: str
    icon: str | None = None


@dataclass(frozen=True)
class Concepts:
    cards: tuple[Concept, ...]


@dataclass(frozen=True)
class Chart:
    kind: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    caption: str | None = None
    # The computed numbers (a deckc.charts.ChartData), filled in by the resolve stage
    # (deckc.resolve) between the loader's validation and the layout; None until then.
    data: Any = field(default=None, hash=False, compare=False, repr=False)


@dataclass(frozen=True)
class Math:
    """A display formula: TeX in the subset deckc.texmath.subset documents."""

    tex: str
    caption: str | None = None


@dataclass(frozen=True)
class Code:
    """A code listing, highlighted by Pygments; `highlight` are 1-based line numbers to shade."""

    source: str
    lang: str = "text"
    highlight: tuple[int, ...] = ()
    caption: str | None = None


@dataclass(frozen=True)
class Image:
    """A figure: `src` relative to the spec's folder (inside the course); `alt` says what it shows,
    unless it is `decorative`."""

    src: str
    alt: str | None = None
    caption: str | None = None
    decorative: bool = False


Block = Union[Text, Bullets, Steps, Callout, Sentence, Tokens, Columns, Table, Analogy, Concepts, Chart, Math, Code,
              Image]


# ---- slides ----

@dataclass(frozen=True)
class Slide:
    kind: str                    # title | content | quiz
    title: str
    notes: str
    body: tuple[Block, ...] = ()
    line: int = 0                # where the slide starts in the spec, for warnings
    subtitle: str | None = None  # section slides
    split: bool = True           # may continue on "(cont.)" slides when it does not fit (else: one size step smaller)


@dataclass(frozen=True)
class QuizOption:
    letter: str
    text: str


@dataclass(frozen=True)
class Quiz:
    question: str
    options: tuple[QuizOption, ...]
    answer: str                  # the letter of the right option
    explanation: str | None = None
    points: float = 1            # what the quick check is worth in the nbgrader assignment

    @property
    def answer_text(self) -> str:
        return next(o.text for o in self.options if o.letter == self.answer)


@dataclass(frozen=True)
class QuizSlide(Slide):
    quiz: Quiz | None = None
    answer_notes: str | None = None


@dataclass(frozen=True)
class Meta:
    id: str
    title: str
    course: str
    module: str
    number: int
    of: int
    minutes: int
    subtitle: str | None = None
    author: str | None = None
    language: str = "en"
    exercises: tuple[str, ...] = ()
    theme: str | None = None         # a built-in theme's name or a theme file (relative to the course folder)
    template: str | None = None      # the institution's .pptx template (relative to the course folder)

    @property
    def position(self) -> str:
        return f"Lesson {self.number} of {self.of}"

    @property
    def duration(self) -> str:
        return f"{self.minutes} min"


@dataclass(frozen=True)
class Lesson:
    meta: Meta
    slides: tuple[Slide, ...]
    source: Path                 # the spec file
    root: Path                   # the course folder that holds lesson/ and exercises/
    theme: object = None         # the resolved layout.theme.Theme (the loader sets it; None: the default)

    @property
    def quiz(self) -> Quiz | None:
        return next((s.quiz for s in self.slides if isinstance(s, QuizSlide)), None)
