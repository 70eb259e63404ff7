"""A PDF's /CreationDate and /ModDate, read from its bytes (reportlab writes the info dictionary
uncompressed), so the tests need no PDF library."""
from __future__ import annotations

import re


def pdf_dates(path) -> list[str]:
    data = open(path, "rb").read()
    return [m.decode() for m in re.findall(rb"/(?:CreationDate|ModDate) \((D:[^)]*)\)", data)]
