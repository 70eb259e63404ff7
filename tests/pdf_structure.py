"""Reading a tagged PDF's structure back from outside (pypdf): the tree, each element's text (the
text drawn inside its marked content), and the checks every tagged page must pass."""
from __future__ import annotations

from dataclasses import dataclass, field

from pypdf import PdfReader
from pypdf.generic import ContentStream


@dataclass
class Elem:
    role: str
    alt: str | None = None
    lang: str | None = None
    actual: str | None = None
    attrs: dict = field(default_factory=dict)
    text: str = ""
    kids: list = field(default_factory=list)

    def walk(self):
        yield self
        for k in self.kids:
            yield from k.walk()

    def all(self, role: str) -> list:
        return [e for e in self.walk() if e.role == role]

    def full_text(self) -> str:
        return "\n".join([self.text, *(k.full_text() for k in self.kids)])

    def skeleton(self):
        """(role, [kids' skeletons]) without text: the shape of the tree."""
        return (self.role, [k.skeleton() for k in self.kids])


def mcid_texts(reader: PdfReader) -> dict[tuple[int, int], str]:
    """(page index, MCID) -> the text drawn inside that marked-content sequence."""
    out: dict[tuple[int, int], str] = {}
    for index, page in enumerate(reader.pages):
        stack: list[int | None] = []

        def before(op, args, cm, tm):
            if op == b"BDC":
                props = args[1] if len(args) > 1 else {}
                stack.append(props.get("/MCID") if hasattr(props, "get") else None)
            elif op == b"BMC":
                stack.append(None)
            elif op == b"EMC" and stack:
                stack.pop()

        def text(t, cm, tm, font, size):
            mcid = next((m for m in reversed(stack) if m is not None), None)
            if mcid is not None and t:
                out[(index, mcid)] = out.get((index, mcid), "") + t

        def tidy():         # pypdf starts a text object's text with a line break or a space
            for key in [k for k in out if k[0] == index]:
                out[key] = out[key].strip()

        page.extract_text(visitor_operand_before=before, visitor_text=text)
        tidy()
    return out


def read_structure(path) -> tuple[Elem, dict]:
    """The structure tree from /StructTreeRoot down, and the catalog facts (Lang, MarkInfo, ...)."""
    reader = PdfReader(str(path))
    root = reader.trailer["/Root"]
    pages = {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages)}
    texts = mcid_texts(reader)

    def build(obj, page=None) -> Elem | None:
        node = obj.get_object()
        if "/Pg" in node:
            page = pages[node.raw_get("/Pg").idnum]
        e = Elem(str(node["/S"])[1:], alt=node.get("/Alt"), lang=node.get("/Lang"), actual=node.get("/ActualText"),
                 attrs={k: v for k, v in (node.get("/A") or {}).items()})
        kids = node.get("/K")
        for k in kids if isinstance(kids, list) else [kids]:
            if isinstance(k, int):
                e.text += texts.get((page, k), "")
            elif k is not None and k.get_object().get("/Type") == "/MCR":
                e.text += texts.get((pages[k.get_object().raw_get("/Pg").idnum], k.get_object()["/MCID"]), "")
            elif k is not None:
                e.kids.append(build(k, page))
        return e

    tree = root["/StructTreeRoot"].get_object()
    facts = {"Lang": root.get("/Lang"), "Marked": (root.get("/MarkInfo") or {}).get("/Marked") == True,  # noqa: E712
             "DisplayDocTitle": (root.get("/ViewerPreferences") or {}).get("/DisplayDocTitle") == True,  # noqa: E712
             "StructParents": [p.get("/StructParents") for p in reader.pages],
             "xmp": root["/Metadata"].get_object().get_data().decode("utf-8") if "/Metadata" in root else ""}
    return build(tree["/K"]), facts


def check_marked_content(path) -> None:
    """Every page: marked content balanced, never opened inside a text object without closing in it,
    MCIDs 0..n-1 in order, each MCID's owner in the ParentTree, and nothing painted outside marked
    content (every mark is either tagged content or an artifact)."""
    reader = PdfReader(str(path))
    tree = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    nums = tree["/ParentTree"].get_object()["/Nums"]
    parents = {int(nums[i]): nums[i + 1].get_object() for i in range(0, len(nums), 2)}
    for index, page in enumerate(reader.pages):
        ops = ContentStream(page.get_contents(), reader).operations
        depth, mcids, in_text = 0, [], False
        for args, op in ops:
            if op in (b"BDC", b"BMC"):
                depth += 1
                if op == b"BDC" and hasattr(args[1], "get") and "/MCID" in args[1]:
                    mcids.append(int(args[1]["/MCID"]))
            elif op == b"EMC":
                depth -= 1
                assert depth >= 0, f"page {index + 1}: EMC without BDC"
            elif op == b"BT":
                in_text = True
            elif op == b"ET":
                in_text = False
            elif op in (b"Tj", b"TJ", b"'", b'"', b"f", b"f*", b"S", b"s", b"B", b"B*", b"b", b"Do", b"sh"):
                assert depth > 0, f"page {index + 1}: {op!r} painted outside marked content"
        assert depth == 0 and not in_text, f"page {index + 1}: unbalanced marked content"
        assert mcids == list(range(len(mcids))), f"page {index + 1}: MCIDs {mcids}"
        key = page.get("/StructParents")
        assert key is not None or not mcids, f"page {index + 1} has MCIDs but no /StructParents"
        if mcids:
            assert len(parents[int(key)]) == len(mcids), f"page {index + 1}: ParentTree entry has the wrong length"
