"""The Open XML validator the tests run every deck through: openxml-audit (PyPI), a Python port
of the Open XML SDK's validation (schemas and semantic constraints, Office 2019 format).

One class of its reports is not counted: DrawingML run properties (a:rPr) inside Office Math
runs (m:r, m:ctrlPr) of a slide. That is how PowerPoint itself writes an equation in a slide
(a14:m); the SDK's math schema only knows Word's w:rPr there, so it reports PowerPoint's own
files the same way. Everything else counts.
"""
from __future__ import annotations

import re

_MATH_RPR = re.compile(r"/m\[\d+\]/oMath(Para)?\[\d+\]/.*: (Unexpected element 'rPr' found|Element 'rPr' is not a "
                       r"valid choice)")


def ooxml_errors(path) -> list[str]:
    from openxml_audit import FileFormat, OpenXmlValidator

    result = OpenXmlValidator(file_format=FileFormat.OFFICE_2019, max_errors=1000).validate(str(path))
    return [str(e) for e in result.errors if not _MATH_RPR.search(str(e))]
