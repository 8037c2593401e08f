"""What a Word reader finds in a .docx, as JSON (tests/docx.rs).

python-docx (Debian's python3-docx) opens the file; its XML (lxml) gives
what python-docx has no API for: Office Math, footnotes, bookmarks.
"""
import json
import sys
import zipfile

import docx
from docx.oxml.ns import qn
from lxml import etree

M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

path = sys.argv[1]
d = docx.Document(path)
body = d.element.body

tables = []
for t in d.tables:
    repeat = 0
    for r in t.rows:
        pr = r._tr.trPr
        if pr is not None and pr.find(qn("w:tblHeader")) is not None:
            repeat += 1
    tables.append({"repeat": repeat, "rows": len(t.rows), "style": t.style.name if t.style else None})

notes_xml = etree.fromstring(zipfile.ZipFile(path).read("word/footnotes.xml"))
notes = [
    "".join(n.itertext())
    for n in notes_xml.findall(W + "footnote")
    if n.get(W + "type") is None
]
styles = {}
for p in body.iter(W + "p"):
    s = p.find(W + "pPr/" + W + "pStyle")
    sid = s.get(W + "val") if s is not None else "Normal"
    styles[sid] = styles.get(sid, 0) + 1
by_id = {s.style_id: s.name for s in d.styles}

print(json.dumps({
    "omml": len(body.findall(".//" + M + "oMath")),
    "omml_para": len(body.findall(".//" + M + "oMathPara")),
    "footnote_refs": len(body.findall(".//" + W + "footnoteReference")),
    "footnotes": notes,
    "tables": tables,
    # Paragraph style names used, with how many paragraphs use each.
    "styles": {by_id.get(k, k): v for k, v in styles.items()},
    # Whether python-docx finds these built-in styles by their names.
    "named": {n: (n in [s.name for s in d.styles]) for n in ["Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Caption", "Bibliography", "footnote text", "Hyperlink"]},
    "bookmarks": [b.get(W + "name") for b in body.iter(W + "bookmarkStart")],
    "anchors": [h.get(W + "anchor") for h in body.iter(W + "hyperlink") if h.get(W + "anchor")],
    "core": {
        "title": d.core_properties.title,
        "author": d.core_properties.author,
        "keywords": d.core_properties.keywords,
        "language": d.core_properties.language,
    },
    "images": [
        {"descr": p.get("descr")}
        for p in body.iter("{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr")
    ],
}))
