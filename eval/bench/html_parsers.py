"""How the HTML parser and the main-content extractor were chosen: `python -m eval.bench.html_parsers`.

Times a full HTML5 parse plus a text walk with selectolax (Lexbor) and with BeautifulSoup on html5lib over
the real HTML fixtures, checks both resolve the implied-end-tag case of issue 13 the same way, and measures
trafilatura's main-content extraction on the same pages (time, and whether headings and the reference list
survive). BeautifulSoup, html5lib and trafilatura are not dependencies: install them to run those rows.
"""

from __future__ import annotations

import json
import time

from bot.settings import REPO_ROOT

PAGES = sorted((REPO_ROOT / "tests" / "fixtures" / "real" / "html").glob("*.html"))
IMPLIED = "<p>a<p>b<h2>Side effects</h2><ul><li>x<li>y</ul>"


def _best(fn, text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - started)
    return best


def selectolax_text(text: str) -> list[str]:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(text)
    return [" ".join(n.text(deep=True).split()) for n in tree.css("p, li, h1, h2, h3, td")]


def bs4_text(text: str) -> list[str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html5lib")
    return [" ".join(n.get_text().split()) for n in soup.select("p, li, h1, h2, h3, td")]


def trafilatura_extract(text: str) -> str:
    import trafilatura

    return trafilatura.extract(text, output_format="xml", include_tables=True, include_comments=False) or ""


def main() -> None:
    pages = [p.read_text(encoding="utf-8") for p in PAGES]
    out: dict = {"pages": len(pages), "bytes": sum(len(p.encode()) for p in pages)}
    for name, fn in (("selectolax (lexbor)", selectolax_text), ("beautifulsoup4 + html5lib", bs4_text)):
        try:
            seconds = sum(_best(fn, page, 3) for page in pages)
            out[name] = {"ms_per_page": round(1000 * seconds / len(pages), 2), "implied_end_tags": fn(IMPLIED)}
        except ImportError as exc:
            out[name] = f"not installed ({exc.name})"
    try:
        seconds, kept_refs, kept_heads = 0.0, 0, 0
        for page in pages:
            seconds += _best(trafilatura_extract, page, 1)
            xml = trafilatura_extract(page)
            kept_heads += "<head" in xml
            kept_refs += any(word in xml for word in ("cite_note", "References</head>", "Citations</head>"))
        out["trafilatura"] = {
            "ms_per_page": round(1000 * seconds / len(pages), 2),
            "pages_with_headings_kept": kept_heads,
            "pages_with_a_reference_list_heading_kept": kept_refs,
        }
    except ImportError as exc:
        out["trafilatura"] = f"not installed ({exc.name})"
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
