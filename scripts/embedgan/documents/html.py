"""The report as one self-contained HTML page (results/report.html, its pictures inlined), the
form in which Snakemake's HTML report (`snakemake --report`) shows a document as a page. It
renders the markdown the documents write, and nothing more: headings, paragraphs, lists,
tables, pictures, code, *emphasis*, **bold** and `code` spans."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from embedgan.runtime import atomic_path

INLINE = (
    (re.compile(r"!\[([^\]]*)\]\(([^)]+)\)"), "picture"),
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"\*(\S[^*]*?\S|\S)\*"), r"<em>\1</em>"),  # not "sigma * eps"
)


def inline(text: str, folder: Path) -> str:
    """One line's markdown spans as HTML; a picture inlined from `folder` as a data URI."""

    def picture(match: re.Match) -> str:
        path = folder / match.group(2)
        source = f"data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}" if path.is_file() else ""
        return f'<img alt="{match.group(1)}" src="{source}">'

    text = html.escape(text, quote=False)
    for pattern, replacement in INLINE:
        text = pattern.sub(picture if replacement == "picture" else replacement, text)
    return text


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split(" | ")]


def to_html(lines: list[str], folder: Path, title: str) -> str:
    """The markdown `lines` as an HTML page (pictures relative to `folder`)."""
    body, i = [], 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{inline(line[level:].strip(), folder)}</h{level}>")
            i += 1
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            head = "".join(f"<th>{inline(c, folder)}</th>" for c in cells(rows[0]))
            rest = "".join(
                "<tr>" + "".join(f"<td>{inline(c, folder)}</td>" for c in cells(row)) + "</tr>" for row in rows[2:]
            )
            body.append(f"<table><tr>{head}</tr>{rest}</table>")
        elif re.match(r"\s*- ", line):
            items = []
            while i < len(lines) and re.match(r"\s*- ", lines[i]):
                items.append(f"<li>{inline(lines[i].strip()[2:], folder)}</li>")
                i += 1
            body.append(f"<ul>{''.join(items)}</ul>")
        elif line.startswith("    "):
            code = []
            while i < len(lines) and lines[i].startswith("    "):
                code.append(html.escape(lines[i][4:]))
                i += 1
            body.append(f"<pre>{chr(10).join(code)}</pre>")
        else:
            paragraph = []
            while i < len(lines) and lines[i].strip() and not re.match(r"[#|]|\s*- ", lines[i]):
                paragraph.append(inline(lines[i], folder))
                i += 1
            body.append(f"<p>{' '.join(paragraph)}</p>")
    style = "body{font-family:sans-serif;max-width:70em;margin:auto}table{border-collapse:collapse}" \
            "td,th{border:1px solid #ccc;padding:2px 6px}img{max-width:100%}"
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def write_html(markdown_path: str, out_path: str) -> None:
    """The markdown document at `markdown_path` as a page at `out_path`."""
    lines = Path(markdown_path).read_text().splitlines()
    page = to_html(lines, Path(markdown_path).parent, lines[0].lstrip("# ") if lines else "")
    with atomic_path(out_path) as tmp:
        Path(tmp).write_text(page)
