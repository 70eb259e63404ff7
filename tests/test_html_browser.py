"""The HTML lesson driven in a real browser, as a student would: Debian's chromium through Playwright.

Chromium is launched by path (no browser download); axe-core is the npm package, which .ci/run
installs into a temporary folder and names in DECKC_AXE_JS. Without them these tests skip with the
reason on a laptop, and fail under CI=true.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, copy_course, require_tool
from test_deck import norm, seed_phrases

LESSON = "the-sequence-problem"
CI = os.environ.get("CI", "").lower() == "true"
SIZES = {"laptop": (1280, 720), "phone": (390, 844), "small-phone": (360, 740), "projector": (1920, 1080)}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _missing(what: str):
    if CI:
        pytest.fail(f"{what} -- CI=true, so this is an error, not a skip")
    pytest.skip(what)


def _chromium() -> str:
    for path in (os.environ.get("DECKC_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser")):
        if path and os.path.isfile(path):
            return path
    _missing("chromium not found (apt-get install chromium); the HTML lesson is tested in a real browser")


def _axe() -> Path:
    path = os.environ.get("DECKC_AXE_JS")
    if path and Path(path).is_file():
        return Path(path)
    _missing("axe-core not found: set DECKC_AXE_JS to axe.min.js (npm install axe-core; .ci/run does)")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright (pip package, in the test extra) is not installed")
    exe = _chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The seed lesson and the stress lesson (long text, CJK, Hebrew, Arabic, emoji) built to HTML."""
    from deckc.build import run_builds

    course = copy_course(tmp_path_factory.mktemp("course"))
    stress = course / "stress" / "stress.yaml"
    stress.parent.mkdir()
    shutil.copy(Path(ROOT) / "tests" / "stress" / "lesson" / "stress.yaml", stress)
    seed = (course / "lesson" / f"{LESSON}.yaml").read_text()        # the seed in the dark theme, for axe
    (course / "lesson" / "dark.yaml").write_text(seed.replace(f"  id: {LESSON}\n", "  id: dark\n  theme: dark\n", 1))
    out = course / "build"
    # the stress lesson is of another course (its long name is part of the stress): a build of its own
    results = run_builds(sorted((course / "lesson").glob("*.yaml")), out, ["html"], jobs=1)
    results += run_builds([stress], out, ["html"], jobs=1)
    assert not [e for r in results for e in r.errors] and not [r.failed for r in results if r.failed]
    return out


@pytest.fixture()
def page(browser, site):
    """A fresh page whose every request is recorded; anything but the lesson file itself is refused."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = ctx.new_page()
    pg.requests_out, pg.errors = [], []
    allowed = {(site / LESSON / f"{LESSON}.html").as_uri(), (site / "stress" / "stress.html").as_uri(),
               (site / "dark" / "dark.html").as_uri(),
               (site / "index.html").as_uri()}

    def route(r):
        url = r.request.url.split("#")[0].split("?")[0]
        if url in allowed:
            r.continue_()
        else:
            pg.requests_out.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    yield pg
    assert pg.errors == [], pg.errors
    assert pg.requests_out == [], pg.requests_out        # nothing left the page, in any test
    ctx.close()


def url(site: Path, lesson: str = LESSON, tail: str = "") -> str:
    return (site / lesson / f"{lesson}.html").as_uri() + tail


def state(pg) -> dict:
    return pg.evaluate("""() => ({
        counter: document.getElementById('counter').innerText,
        visible: [...document.querySelectorAll('.slide')].filter(s => !s.hidden).map(s => s.id),
        hash: location.hash,
        now: document.querySelector('.progress').getAttribute('aria-valuenow'),
        prev: document.querySelector('.nav.prev').disabled, next: document.querySelector('.nav.next').disabled})""")


def player_slides() -> int:
    """The seed's slides in the player: its content slides, less the analogy and key-concept ones."""
    from deckc.spec.loader import load_lesson
    from deckc.writers.html.page import is_section

    lesson = load_lesson(Path(ROOT) / "lesson" / f"{LESSON}.yaml").lesson
    return sum(1 for sl in lesson.slides if sl.kind == "content" and not is_section(sl))


def test_buttons_walk_every_slide_and_back(page, site):
    page.goto(url(site))
    n = page.locator(".slide").count()
    assert n == player_slides() >= 6
    s = state(page)
    assert s["counter"] == f"Slide 1 of {n}" and s["visible"] == ["slide-1"] and s["prev"] and not s["next"]
    for k in range(2, n + 1):
        page.click(".nav.next")
        s = state(page)
        assert (s["counter"], s["visible"], s["hash"], s["now"]) == (f"Slide {k} of {n}", [f"slide-{k}"],
                                                                     f"#slide-{k}", str(k))
    assert state(page)["next"]
    # the disabled "Next" hands the keyboard focus to "Previous" instead of dropping it
    assert page.evaluate("document.activeElement.classList.contains('prev')")
    for k in range(n - 1, 0, -1):
        page.click(".nav.prev")
        assert state(page)["visible"] == [f"slide-{k}"]
    page.click('.dot[data-go="5"]')
    assert state(page)["visible"] == ["slide-5"]
    assert page.requests_out == []


def test_keyboard_navigation(page, site):
    page.goto(url(site))
    page.locator("h1").click()          # focus in the page, not on a control
    page.keyboard.press("ArrowRight")
    assert state(page)["visible"] == ["slide-2"]
    page.keyboard.press("Space")
    assert state(page)["visible"] == ["slide-3"]
    n = player_slides()
    page.keyboard.press("End")
    assert state(page)["visible"] == [f"slide-{n}"]
    page.keyboard.press("ArrowRight")
    assert state(page)["visible"] == [f"slide-{n}"]      # stays on the last slide
    page.keyboard.press("Home")
    assert state(page)["visible"] == ["slide-1"]
    page.keyboard.press("ArrowLeft")
    assert state(page)["visible"] == ["slide-1"]
    # Space on a focused button presses the button, it does not also turn the page
    page.focus(".nav.next")
    page.keyboard.press("Space")
    assert state(page)["visible"] == ["slide-2"]


def test_fragment_and_remembered_position(page, site):
    page.goto(url(site, tail="#slide-4"))
    assert state(page)["visible"] == ["slide-4"]
    page.click(".nav.next")
    page.goto(url(site))                  # no fragment: the position is remembered
    assert state(page)["visible"] == ["slide-5"]
    page.goto(url(site, tail="#slide-2"))   # an explicit fragment wins
    assert state(page)["visible"] == ["slide-2"]


def test_every_seed_phrase_is_visible_text(page, site):
    page.goto(url(site))
    seen = [page.evaluate("document.body.innerText")]
    for _ in range(player_slides() - 1):
        page.click(".nav.next")
        seen.append(page.evaluate("document.body.innerText"))
    text = norm(" ".join(seen))
    missing = [p for p in seed_phrases() if p not in text]
    assert not missing, missing


def test_quiz_wrong_then_retry_then_right(page, site):
    page.goto(url(site))
    quiz = page.locator(".quiz")
    quiz.locator('.option[data-letter="B"]').click()
    verdict = quiz.locator(".verdict")
    assert "Not quite" in verdict.inner_text()
    assert quiz.locator(".why .explanation").is_visible()
    assert quiz.locator('.option[data-letter="B"]').get_attribute("class").split()[-1] == "is-wrong"
    assert quiz.locator(".option").first.is_disabled()
    assert page.evaluate("document.activeElement.className") == "retry"     # focus moves to the retry
    page.keyboard.press("Enter")
    assert verdict.inner_text() == "" and not quiz.locator(".why .explanation").is_visible()
    assert page.evaluate("document.activeElement.dataset.letter") == "A"    # back to the first option
    page.keyboard.press("Enter")                                             # answer A by keyboard
    assert verdict.inner_text().startswith("✓ Correct")
    assert "Self-attention computes every position" in quiz.locator(".why").inner_text()
    assert not quiz.locator(".retry").is_visible()
    assert quiz.locator(".feedback").get_attribute("role") == "status"      # announced by screen readers


OVERFLOW_JS = """() => {
  const W = document.documentElement.clientWidth, bad = [];
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return p; }
    return null; };
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.visually-hidden, [hidden], .skip-link, svg')) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    if (r.right > W + 1 || r.left < -1) {
      const box = scrolls(el);
      if (box && box !== document.body && box !== document.documentElement) {
        const b = box.getBoundingClientRect();
        if (b.right <= W + 1 && b.left >= -1) continue;     // inside a box that scrolls and fits
      }
      bad.push(el.tagName + '.' + el.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
  }
  return {bad, scrollW: document.documentElement.scrollWidth, W};
}"""

OVERLAP_JS = """() => {
  const out = [], rect = e => e.getBoundingClientRect();
  const groups = [...document.querySelectorAll('.slide:not([hidden]) .slide-body, .slide:not([hidden]) .column, '
                                             + '.slide:not([hidden]) .columns')];
  for (const g of groups) {
    const kids = [...g.children].filter(k => rect(k).height > 0);
    for (let i = 0; i < kids.length; i++) for (let j = i + 1; j < kids.length; j++) {
      const a = rect(kids[i]), b = rect(kids[j]);
      const ix = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const iy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (ix > 1 && iy > 1) out.push(kids[i].className + ' / ' + kids[j].className);
    }
  }
  return out;
}"""


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lesson", [LESSON, "stress"])
def test_nothing_overflows_the_viewport_and_blocks_do_not_overlap(browser, site, tmp_path, size, lesson):
    w, h = SIZES[size]
    ctx = browser.new_context(viewport={"width": w, "height": h})
    pg = ctx.new_page()
    pg.goto(url(site, lesson))
    n = pg.locator(".slide").count()
    shots = Path(os.environ.get("DECKC_SHOTS", tmp_path))
    for k in range(1, n + 1):
        if k > 1:
            pg.click(".nav.next")
        pg.wait_for_timeout(50 if k > 1 else 0)
        res = pg.evaluate(OVERFLOW_JS)
        assert res["bad"] == [] and res["scrollW"] <= res["W"], (lesson, size, k, res)
        assert pg.evaluate(OVERLAP_JS) == [], (lesson, size, k)
        png = shots / f"{lesson}-{size}-slide{k}.png"
        pg.locator(f"#slide-{k}").screenshot(path=str(png))
        assert png.stat().st_size > 4000           # drew something: not a blank box
    ctx.close()


def test_axe_finds_no_wcag_violations(page, site):
    axe = _axe()

    def run(label):
        page.add_script_tag(path=str(axe))
        res = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
        bad = [(label, v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in res["violations"]]
        return bad, len(res["passes"])

    violations = []
    # axe judges the settled page: a slide fading in (0.28 s) has text at partial opacity, whose
    # contrast axe would measure mid-animation (on a fast machine it runs within that time)
    page.emulate_media(reduced_motion="reduce")
    for lesson in (LESSON, "stress", "dark"):
        page.goto(url(site, lesson))
        for k in range(page.locator(".slide").count()):
            if k:
                page.click(".nav.next")
            bad, passes = run(f"{lesson} slide {k + 1}")
            assert passes > 10            # axe really ran
            violations += bad
    page.goto(url(site))
    page.locator('.quiz .option[data-letter="C"]').click()
    violations += run("quiz answered wrong")[0]
    page.goto(url(site, tail="?presenter"))
    violations += run("presenter view")[0]
    page.goto((site / "index.html").as_uri())
    violations += run("index")[0]
    assert violations == []


def test_focus_is_visible_and_reduced_motion_is_honoured(browser, site):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, reduced_motion="reduce")
    pg = ctx.new_page()
    pg.goto(url(site))
    pg.focus(".nav.next")
    pg.keyboard.press("Tab")
    pg.keyboard.press("Shift+Tab")            # keyboard focus: :focus-visible applies
    outline = pg.evaluate("getComputedStyle(document.activeElement).outlineStyle + ' ' + "
                          "getComputedStyle(document.activeElement).outlineWidth")
    assert outline.startswith("solid") and not outline.endswith(" 0px"), outline
    pg.keyboard.press("Enter")
    anim = pg.evaluate("getComputedStyle(document.getElementById('slide-2')).animationName")
    assert anim == "none"
    ctx.close()


def test_presenter_view_shows_notes_next_and_timer(page, site):
    from deckc.spec.loader import load_lesson

    lesson = load_lesson(Path(ROOT) / "lesson" / f"{LESSON}.yaml").lesson
    page.goto(url(site, tail="?presenter#slide-2"))
    panel = page.locator("#presenter")
    assert panel.is_visible()
    notes = norm(page.locator("#notes").inner_text())
    assert norm(lesson.slides[2].notes)[:80] in notes             # slide 2 is the spec's third slide
    assert "The Pronoun Problem" in page.locator("#next-preview").inner_text()
    assert re.fullmatch(r"\d+:\d\d of 9:00", norm(page.locator(".timer").inner_text().split("\n")[0]))
    page.locator("h2#slide-2-h").click()
    page.keyboard.press("ArrowRight")
    assert "Read both sentences aloud" in page.locator("#notes").inner_text()
    page.keyboard.press("End")                                        # the quiz is the last stop
    assert page.locator(".quiz").is_visible() and not page.locator(".player").is_visible()
    assert "show of hands" in page.locator("#notes").inner_text()
    page.keyboard.press("p")
    assert not panel.is_visible() and page.locator(".player").is_visible()
    assert "presenter" not in page.evaluate("location.search")


def test_right_to_left_paragraphs_and_language(page, site):
    page.goto(url(site, "stress"))
    assert page.evaluate("document.documentElement.lang") == "en"
    dirs = page.evaluate("""() => [...document.querySelectorAll('[dir=auto]')]
        .filter(e => /^[\\s\\u0590-\\u06FF\\p{P}]*[\\u0590-\\u06FF]/u.test(e.textContent))
        .map(e => getComputedStyle(e).direction)""")
    assert dirs and set(dirs) == {"rtl"}, dirs


def test_printing_gives_one_slide_per_page(page, site, tmp_path):
    require_tool("pdftotext")
    page.goto(url(site))
    pdf = tmp_path / "print.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), prefer_css_page_size=True)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    pages = [norm(p) for p in text.split("\f") if p.strip()]
    titles = [norm(t) for t in page.locator(".slide h2").all_inner_texts()]
    starts = [next((i for i, p in enumerate(pages) if p.startswith(t)), None) for t in titles]
    assert None not in starts and starts == sorted(set(starts)), (titles, [p[:40] for p in pages])


def test_watch_serve_reloads_the_open_page_on_the_same_slide(browser, tmp_path):
    import signal
    import socket
    import sys
    import threading

    course = copy_course(tmp_path)
    spec = course / "lesson" / f"{LESSON}.yaml"
    proc = subprocess.Popen([sys.executable, "-m", "deckc", "watch", str(spec), "-o", str(course / "build"),
                             "--format", "html", "--serve", "--port", "0", "--interval", "0.1"],
                            cwd=course, stderr=subprocess.PIPE, text=True,
                            # a shell's background job ignores SIGINT; Ctrl-C is what we mean to send
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines: list[str] = []
    served = threading.Event()

    def read():
        for ln in proc.stderr:
            lines.append(ln)
            if ln.startswith("watching "):     # served, and the first build is done
                served.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert served.wait(60), lines
        address = next(ln for ln in lines if ln.startswith("serving ")).split()[1]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", address), address
        ctx = browser.new_context(viewport={"width": 1280, "height": 720})
        pg = ctx.new_page()
        outside = []
        pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith("http://127.0.0.1:")
                 else (outside.append(r.request.url), r.abort()))
        pg.goto(address)                        # the server's root sends us to the lesson
        assert pg.url.split("#")[0].endswith(f"/{LESSON}/{LESSON}.html")
        pg.click(".nav.next")
        pg.click(".nav.next")
        assert state(pg)["visible"] == ["slide-3"]
        spec.write_text(spec.read_text(encoding="utf-8").replace("title: The Pronoun Problem",
                                                                 "title: The Pronoun Puzzle"), encoding="utf-8")
        for _ in range(300):          # the page reloads itself; the lesson's CSP forbids eval, so poll from here
            try:
                if pg.locator("#slide-3-h").text_content(timeout=1000) == "The Pronoun Puzzle":
                    break
            except Exception:  # noqa: BLE001 - mid-reload
                pass
            pg.wait_for_timeout(100)
        assert pg.locator("#slide-3-h").text_content() == "The Pronoun Puzzle"      # reloaded by itself
        assert state(pg)["visible"] == ["slide-3"] and pg.locator("#slide-3-h").is_visible()
        assert outside == []
        ctx.close()
        port = int(address.split(":")[2].strip("/"))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        reader.join(5)
    assert rc == 130 and any("Interrupted" in ln for ln in lines), lines
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2)      # nothing left listening


def test_a_lesson_of_only_a_quiz_has_no_empty_player(browser, tmp_path):
    from deckc.build import build_lesson

    spec = tmp_path / "lesson" / "q.yaml"
    spec.parent.mkdir()
    spec.write_text("lesson: {id: q, title: Quiz Only, course: C, module: M, number: 1, of: 1, minutes: 1}\n"
                    "slides:\n  - {kind: quiz, question: Two plus two?, options: ['3', '4'], answer: B, notes: n}\n",
                    encoding="utf-8")
    r = build_lesson(spec, tmp_path / "out", ["html"])
    assert not r.errors, [str(e) for e in r.errors]
    pg = browser.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto((tmp_path / "out" / "q" / "q.html").as_uri())
    assert pg.locator(".player").count() == 0 and "Slide" not in pg.evaluate("document.body.innerText")
    pg.locator('.option[data-letter="B"]').click()
    assert pg.locator(".verdict").inner_text().startswith("✓ Correct")
    pg.keyboard.press("ArrowRight")
    pg.keyboard.press("p")                 # presenter view: the header, then the quiz
    pg.keyboard.press("End")
    assert pg.locator(".quiz").is_visible() and not pg.locator("#intro").is_visible()
    assert errors == []
    pg.close()


REVEAL = """lesson: {id: rv, title: Reveals, course: C, module: M, number: 1, of: 1, minutes: 2}
slides:
  - title: Plain
    notes: n
    body: [{text: Nothing to reveal.}]
  - title: One at a time
    notes: n
    body:
      - bullets:
          reveal: true
          items: [Queries ask, {text: Keys answer, items: [by dot products]}, Values carry]
      - steps: {reveal: true, items: [{token: The}, {token: cat}]}
  - title: After
    notes: n
    body: [{text: The end.}]
"""


@pytest.fixture(scope="module")
def reveal_page(tmp_path_factory):
    from deckc.build import build_lesson

    tmp = tmp_path_factory.mktemp("reveal")
    spec = tmp / "lesson" / "rv.yaml"
    spec.parent.mkdir()
    spec.write_text(REVEAL, encoding="utf-8")
    r = build_lesson(spec, tmp / "out", ["html"])
    assert not r.errors, [str(e) for e in r.errors]
    return (tmp / "out" / "rv" / "rv.html").as_uri()


def _shown(pg) -> list[str]:
    """The reveal items a reader sees (and a screen reader reads) on the visible slide."""
    return pg.evaluate("""() => [...document.querySelectorAll('.slide:not([hidden]) [data-reveal]')]
        .filter(e => getComputedStyle(e).visibility === 'visible').map(e => e.innerText.split('\\n')[0].trim())""")


def test_reveal_lists_show_one_item_per_step(browser, reveal_page):
    pg = browser.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(reveal_page + "#slide-1")
    pg.locator("h1").click()
    pg.keyboard.press("ArrowRight")                         # onto the slide: nothing revealed yet
    assert state(pg)["visible"] == ["slide-2"] and _shown(pg) == []
    assert state(pg)["counter"] == "Slide 2 of 3, point 0 of 5"
    # a pending item keeps its place and is out of the accessibility tree
    box = pg.locator('[data-reveal]').first.bounding_box()
    assert box and box["height"] > 0
    assert "Queries ask" not in pg.locator(".slide:not([hidden])").inner_text()
    wanted = ["Queries ask", "Keys answer", "Values carry", "The", "cat"]
    for k in range(1, 6):                                   # Next (keys and the button) reveals one item
        if k % 2:
            pg.keyboard.press("ArrowRight")
        else:
            pg.click(".nav.next")
        assert state(pg)["visible"] == ["slide-2"] and _shown(pg) == wanted[:k], k
    assert "by dot products" in pg.locator(".slide:not([hidden])").inner_text()   # with its sub-items
    pg.keyboard.press("ArrowLeft")                          # Previous takes the last click back
    assert _shown(pg) == wanted[:4]
    pg.keyboard.press("Space")
    pg.keyboard.press("Space")                              # all shown: the next slide
    assert state(pg)["visible"] == ["slide-3"]
    pg.keyboard.press("ArrowLeft")                          # back onto it: its final state
    assert state(pg)["visible"] == ["slide-2"] and _shown(pg) == wanted
    pg.click('.dot[data-go="2"]')
    assert _shown(pg) == wanted                             # a jump shows it whole
    pg.emulate_media(media="print")
    assert pg.evaluate("[...document.querySelectorAll('[data-reveal]')]"
                       ".every(e => getComputedStyle(e).visibility === 'visible')")
    assert errors == []
    pg.close()


def test_reveals_arrive_without_motion_when_reduced_and_pass_axe(browser, reveal_page):
    ctx = browser.new_context(reduced_motion="reduce")
    pg = ctx.new_page()
    pg.goto(reveal_page + "#slide-1")
    pg.locator("h1").click()
    pg.keyboard.press("ArrowRight")
    pg.keyboard.press("ArrowRight")
    assert pg.evaluate("getComputedStyle(document.querySelector('[data-reveal]')).animationName") == "none"
    pg.add_script_tag(path=str(_axe()))
    result = pg.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    assert result["violations"] == [], [(v["id"], v["nodes"][0]["target"]) for v in result["violations"]]
    ctx.close()
