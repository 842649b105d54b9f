"""Thai PDFs (the ITA evidence report, an ordinance initiative's filing packet): the fonts embedded.

fpdf2 (pure Python) writes the file; uharfbuzz shapes the Thai so that vowels and tone marks sit
where they belong. The font is Noto Sans Thai merged with the Latin of Noto Sans into one file per
weight, vendored under workflows/fonts with its licence (SIL OFL 1.1), so nothing depends on fonts
installed on the server. One font, not a Latin fallback: fpdf2 2.8 does not select the font again
at the start of a line that follows a fallback run, and such a line came out in the wrong font.

Two things fpdf2 does not do for Thai, done here:
- Line breaks. Thai writes no spaces between words, so a line may break at a space or between two
  syllable-like clusters (never before a vowel or tone mark that belongs to the character before,
  nor after a leading vowel เ แ โ ใ ไ).
- Copying text out of the PDF. Shaping splits SARA AM (ำ) into two glyphs, and fpdf2 leaves the
  extra glyph out of the font's ToUnicode map, so a reader extracts "น้ำ" as "น้ำ\\x03". The map is
  completed here: such glyphs map to no text (`<0003> <>`), as the whole cluster's text is already
  on its first glyph. tests/opendata/test_ita.py extracts the text and finds the Thai words.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.output import OutputProducer
from fpdf.syntax import PDFContentStream

FONTS = Path(__file__).resolve().parent / "fonts"
# A cluster continues with: Thai combining marks (above/below vowels, tone marks, thanthakhat...) and
# the following vowels ะ า ำ ๅ, the repetition mark ๆ; a break never follows a leading vowel.
_CONTINUES = re.compile("[\u0e30-\u0e3a\u0e45-\u0e4e\u0e46]")
_LEADING = "\u0e40\u0e41\u0e42\u0e43\u0e44"
_BFCHAR = re.compile(rb"<([0-9A-F]{4})> <[0-9A-F]*>")


class _CompleteToUnicode(OutputProducer):
    """Map every glyph code of a font to text, an empty one where shaping added a glyph."""

    def _add_pdf_obj(self, pdf_obj, trace_label=None):
        if trace_label == "fonts" and isinstance(pdf_obj, PDFContentStream):
            contents = pdf_obj.content_stream()
            if contents.startswith(b"/CIDInit") and b"<0000> <FFFF>" in contents:
                mapped = {int(code, 16) for code in _BFCHAR.findall(contents)}
                missing = [code for code in range(1, max(mapped, default=0) + 1) if code not in mapped]
                blocks = b"".join(
                    b"%d beginbfchar\n%sendbfchar\n" % (len(chunk), b"".join(b"<%04X> <>\n" % c for c in chunk))
                    for chunk in (missing[i : i + 100] for i in range(0, len(missing), 100))
                )
                if blocks:
                    replacement = PDFContentStream(contents.replace(b"endcmap\n", blocks + b"endcmap\n", 1))
                    pdf_obj._contents, pdf_obj.length = replacement._contents, replacement.length
        return super()._add_pdf_obj(pdf_obj, trace_label)


def break_points(text: str) -> list[int]:
    """Indexes where a Thai line may break (besides spaces)."""
    return [i for i in range(1, len(text)) if not _CONTINUES.match(text[i]) and text[i - 1] not in _LEADING]


class EvidencePDF(FPDF):
    def __init__(self, *, title: str, organisation: str):
        super().__init__(format="A4")
        self.report_title, self.organisation = title, organisation
        self.add_font("thai", "", FONTS / "NotoSansThaiLatin-Regular.ttf")
        self.add_font("thai", "B", FONTS / "NotoSansThaiLatin-Bold.ttf")
        self.set_font("thai", size=11)
        self.set_text_shaping(True)
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=16)
        self.set_title(title)
        self.set_author(organisation)
        self.set_creator("Ruamkid")

    def footer(self):
        self.set_y(-12)
        self.set_font("thai", size=8)
        self.set_text_color(90, 98, 112)
        page = _("Page %(page)s") % {"page": self.page_no()}
        self.cell(0, 5, f"{self.organisation} · {self.report_title} · {page}", align="C")
        self.set_text_color(0, 0, 0)

    # --- text ---------------------------------------------------------------------------------------
    def lines(self, text: str, width: float) -> list[str]:
        """`text` broken into lines no wider than `width` (see the module's note on Thai)."""
        out = []
        for paragraph in str(text).splitlines() or [""]:
            line = ""
            for word in re.split(r"(?<= )", paragraph):
                if self.get_string_width(line + word) <= width:
                    line += word
                    continue
                if line.strip():
                    out.append(line.rstrip())
                line = ""
                while self.get_string_width(word) > width:
                    cut = max((i for i in break_points(word) if self.get_string_width(word[:i]) <= width), default=1)
                    out.append(word[:cut])
                    word = word[cut:]
                line = word
            out.append(line.rstrip())
        return out

    def para(self, text: str, *, size: float = 11, bold: bool = False, indent: float = 0, gap: float = 0.8, bullet: bool = False):
        """A paragraph; a bullet's second and later lines hang under its text."""
        self.set_font("thai", "B" if bold else "", size)
        height = size * 0.5
        hang = self.get_string_width("• ") if bullet else 0
        for i, line in enumerate(self.lines(text, self.epw - indent - hang)):
            self.set_x(self.l_margin + indent + (hang if i else 0))
            self.cell(self.epw - indent, height, ("• " + line) if bullet and not i else line, new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)


def pdf_bytes(pdf: FPDF) -> bytes:
    """The document's bytes, its text copyable (see _CompleteToUnicode)."""
    return bytes(pdf.output(output_producer_class=_CompleteToUnicode))
