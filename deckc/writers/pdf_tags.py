"""Tagged PDF: the logical structure a screen reader (and reflow, and PDF/UA) reads, for the
pages the PDF writer draws. reportlab has no tagging API, so this module writes both halves:

- in the content stream, marked-content operators around what each element draws: real content
  as ``/P <</MCID n>> BDC ... EMC`` (the MCID ties it to its structure element), decoration
  (backgrounds, rules, accent bands, the footer) as ``/Artifact`` so readers skip it;
- after the pages, the structure tree (PDF 32000-1, 14.7/14.8) in reading order: Document >
  Sect per slide > H1 title, P, L/LI/Lbl/LBody, Table/TR/TH/TD (TH with /Scope), Figure (charts,
  images, meaningful shapes) and Formula with /Alt, Code, Span with /Lang for runs in another
  script; the ParentTree that maps each page's MCIDs back to their elements, /StructParents on
  each page, /MarkInfo, /Lang, /ViewerPreferences /DisplayDocTitle and XMP naming PDF/UA-1.

The writer calls this as it draws (it decides nothing: what an element is comes from the plan:
a TextBox's role, a Shape's `decorative`, a TableBox's `header_rows`, an ImageBox's alt). Object
names are handed out in drawing order, so the file stays byte-reproducible.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from ..fonts.scripts import language_pieces


# Elements whose paragraphs are their own text, not P children.
LEAF = frozenset({"H1", "H2", "H3", "Code", "Caption", "TH", "TD"})


@dataclass(eq=False)
class Node:
    role: str
    kids: list = field(default_factory=list)       # Node | (page index, MCID)
    alt: str | None = None
    lang: str | None = None
    actual: str | None = None                      # /ActualText: what drawn (shaped, reordered) text says
    attrs: dict | None = None                      # the /A attribute dictionary (/O given as key "O")
    level: float = 0.0                             # list nesting: the paragraph margin that opened it

    def page(self) -> int | None:
        for k in self.kids:
            p = k[0] if isinstance(k, tuple) else k.page()
            if p is not None:
                return p
        return None


class NoTags:
    """The same calls as Tags, doing nothing: pages that are not tagged (the handout)."""

    tagged = False

    def begin_page(self, tagged: bool = True): pass
    def end_page(self): pass
    def begin_para(self, para): pass
    def end_flow(self): pass
    def label(self): pass
    def body(self): pass

    def pieces(self, text: str):
        return ((text, None),)

    @contextmanager
    def element(self, role, **kw):
        yield

    @contextmanager
    def artifact(self, kind: str | None = None):
        yield

    @contextmanager
    def inline(self, role, **kw):
        yield


class Tags(NoTags):
    def __init__(self, canvas, lang: str, title: str):
        from .. import pdf_fixes

        self.c = canvas
        self.lang = lang
        self.title = title
        self.root = Node("Document")
        self.stack = [self.root]
        self.page = -1
        self.parents: list[list[Node]] = []        # per page: the element owning each MCID
        self.tagged = False
        self.open: Node | None = None              # whose marked content is open now
        self.in_artifact = 0
        self.lists: list[Node] = []                # open L elements of the current text flow
        self.para_node: Node | None = None         # the P or LBody paragraphs' text goes to
        self.label_node: Node | None = None
        pdf_fixes.page_entries(canvas, self._page_entries)

    # -- pages --
    def begin_page(self, tagged: bool = True):
        """`tagged` False: the whole page is an artifact (a reveal step's earlier state: the
        final state's page carries the structure, so a reader reads each slide once)."""
        self.page += 1
        self.parents.append([])
        self.tagged = tagged
        if not tagged:
            self.c.addLiteral("/Artifact BMC")

    def end_page(self):
        self._flush()
        if not self.tagged:
            self.c.addLiteral("EMC")
        self.tagged = False

    def _page_entries(self, index: int) -> dict:
        return {"StructParents": index, "Tabs": "/S"}

    # -- marked content --
    def _flush(self):
        if self.open is not None:
            self.c.addLiteral("EMC")
            self.open = None

    def _mark(self, node: Node):
        """Make what is drawn next `node`'s content (continuing its open sequence if it is open)."""
        if not self.tagged or self.in_artifact or self.open is node:
            return
        self._flush()
        mcid = len(self.parents[self.page])
        self.parents[self.page].append(node)
        node.kids.append((self.page, mcid))
        self.c.addLiteral(f"/{node.role} <</MCID {mcid}>> BDC")
        self.open = node

    @contextmanager
    def artifact(self, kind: str | None = None):
        """Decoration; `kind` "Pagination" for running footers and page numbers."""
        if not self.tagged or self.in_artifact:
            yield
            return
        self._flush()
        self.c.addLiteral(f"/Artifact <</Type /{kind}>> BDC" if kind else "/Artifact BMC")
        self.in_artifact += 1
        try:
            yield
        finally:
            self.in_artifact -= 1
            self.c.addLiteral("EMC")

    # -- structure --
    def _add(self, role: str, **kw) -> Node:
        node = Node(role, **kw)
        self.stack[-1].kids.append(node)
        return node

    @contextmanager
    def element(self, role: str, *, content: bool = False, **kw):
        """A structure element around what is drawn inside; `content`: what is drawn is its own
        content (a Figure's drawing), else it holds the elements opened inside."""
        if not self.tagged or self.in_artifact:
            yield
            return
        self._flush()
        node = self._add(role, **kw)
        self.stack.append(node)
        try:
            if content:
                self._mark(node)
            yield
        finally:
            self.end_flow()
            self._flush()
            self.stack.pop()

    @contextmanager
    def inline(self, role: str, **kw):
        """An inline element of the current paragraph (a formula, a run in another language)."""
        if not self.tagged or self.in_artifact or self.para_node is None:
            yield
            return
        node = Node(role, **kw)
        self.para_node.kids.append(node)
        self._mark(node)
        try:
            yield
        finally:
            self._flush()

    # -- paragraphs and lists (inside the element now open) --
    def begin_para(self, para):
        """A paragraph starts: a P, or with a bullet an LI (Lbl + LBody) of an L; a bullet with a
        larger margin than the list open nests a new L inside the last item's body."""
        if not self.tagged or self.in_artifact:
            return
        if self.stack[-1].role in LEAF:      # a heading's (a cell's, a listing's) text is its own content
            self.para_node, self.label_node = self.stack[-1], None
            return
        self._flush()
        if not para.bullet:
            self.end_flow()
            self.para_node = self._add("P")
            self.label_node = None
            return
        while self.lists and para.margin < self.lists[-1].level - 0.5:
            self.lists.pop()
        if not self.lists or para.margin > self.lists[-1].level + 0.5:
            parent = self.para_node if self.lists and self.para_node is not None else self.stack[-1]
            lst = Node("L", level=para.margin, attrs={"O": "/List", "ListNumbering": "/Disc"})
            parent.kids.append(lst)
            self.lists.append(lst)
        item = Node("LI")
        self.lists[-1].kids.append(item)
        self.label_node, self.para_node = Node("Lbl"), Node("LBody")
        item.kids += [self.label_node, self.para_node]

    def label(self):
        if self.label_node is not None:
            self._mark(self.label_node)

    def body(self):
        if self.para_node is not None:
            self._mark(self.para_node)

    def pieces(self, text: str):
        """A run cut where its language changes (deckc.fonts.scripts.language_pieces): the writer
        draws a piece in another language inside an inline Span with that /Lang."""
        return language_pieces(text, self.lang) if self.tagged else ((text, None),)

    def end_flow(self):
        """The text flow of a box ends: close its lists."""
        self.lists = []
        self.para_node = self.label_node = None

    # -- the tree, written once after the last page --
    def finish(self):
        from reportlab.pdfbase.pdfdoc import XMP, PDFArray, PDFDictionary, PDFName, PDFObjectReference, PDFString

        doc = self.c._doc
        names: dict[int, str] = {}

        def name(node):
            if id(node) not in names:
                names[id(node)] = f"DeckcSE{len(names) + 1}"
            return names[id(node)]

        def page_ref(index):
            return PDFObjectReference(f"Page{index + 1}")

        def build(node: Node, parent: str):
            kids = []
            for k in node.kids:
                if isinstance(k, tuple):
                    kids.append(k[1] if k[0] == node.page() else PDFDictionary(
                        {"Type": PDFName("MCR"), "Pg": page_ref(k[0]), "MCID": k[1]}))
                elif _has_content(k):
                    kids.append(build(k, name(node)))
            d = {"Type": PDFName("StructElem"), "S": PDFName(node.role), "P": PDFObjectReference(parent)}
            pg = node.page()
            if pg is not None:
                d["Pg"] = page_ref(pg)
            if node.alt is not None:
                d["Alt"] = PDFString(node.alt)
            if node.lang:
                d["Lang"] = PDFString(node.lang)
            if node.actual is not None:
                d["ActualText"] = PDFString(node.actual)
            if node.attrs:
                d["A"] = PDFDictionary(dict(node.attrs))
            d["K"] = PDFArray(kids) if len(kids) != 1 else kids[0]
            return doc.Reference(PDFDictionary(d), name(node))

        root_name = "DeckcStructTreeRoot"
        top = build(self.root, root_name)
        nums = []
        for index, owners in enumerate(self.parents):
            nums += [index, PDFArray([PDFObjectReference(name(n)) for n in owners])]
        parent_tree = doc.Reference(PDFDictionary({"Nums": PDFArray(nums)}), "DeckcParentTree")
        root = PDFDictionary({"Type": PDFName("StructTreeRoot"), "K": top, "ParentTree": parent_tree,
                              "ParentTreeNextKey": len(self.parents)})
        doc.Reference(root, root_name)
        self.c.setCatalogEntry("StructTreeRoot", PDFObjectReference(root_name))
        self.c.setCatalogEntry("MarkInfo", PDFDictionary({"Marked": "true"}))
        self.c.setCatalogEntry("Lang", PDFString(self.lang))
        self.c.setViewerPreference("DisplayDocTitle", "true")
        self.c.setCatalogEntry("Metadata", XMP(creator=lambda _doc: _xmp(self.title, self.lang)))


def _has_content(node: Node) -> bool:
    return any(isinstance(k, tuple) or _has_content(k) for k in node.kids)


def _xmp(title: str, lang: str) -> bytes:
    from xml.sax.saxutils import escape

    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">'
            f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>'
            f'<dc:language><rdf:Bag><rdf:li>{escape(lang)}</rdf:li></rdf:Bag></dc:language>'
            '<pdfuaid:part>1</pdfuaid:part></rdf:Description></rdf:RDF></x:xmpmeta>'
            '<?xpacket end="w"?>').encode("utf-8")


def structure(el) -> tuple[str | None, dict]:
    """What a plan element is in the structure tree: (role, keywords for Tags.element), role None
    for an artifact (decoration, the running footer), "" for a box whose paragraphs go straight
    into the slide's section (body text: P and L, no wrapper)."""
    from ..layout.plan import Arrow, ChartBox, CodeBox, ImageBox, MathBox, Shape, TableBox, TextBox

    bbox = {"O": "/Layout", "BBox": None}       # filled in by the writer (it knows the page height)
    if isinstance(el, CodeBox):
        return "Code", {"content": True}
    if isinstance(el, TextBox):
        return {"title": ("H1", {}), "footer": (None, {"kind": "Pagination"})}.get(el.role, ("", {}))
    if isinstance(el, TableBox):
        return "Table", {"alt": el.alt or None}
    if isinstance(el, MathBox):
        return "Formula", {"content": True, "alt": el.art.tex, "attrs": bbox}
    if isinstance(el, (ChartBox, ImageBox)) or (isinstance(el, (Shape, Arrow)) and el.alt and not el.decorative):
        if getattr(el, "decorative", False) or not el.alt:
            return None, {}
        return "Figure", {"content": True, "alt": el.alt, "attrs": bbox}
    return None, {}
