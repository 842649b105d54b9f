"""CSV exports: formula cells are defused, numbers stay numbers, and a BOM lets Excel show Thai."""

import csv
import io

from workflows.exports import BOM, csv_response, csv_text, safe_cell


def test_it_defuses_every_formula_start():
    for text in ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]:
        assert safe_cell(text) == "'" + text


def test_it_keeps_plain_text_numbers_and_empty_cells():
    assert safe_cell("ไฟส่องสว่าง") == "ไฟส่องสว่าง"
    assert safe_cell(-3) == -3 and safe_cell(2.5) == 2.5
    assert safe_cell(None) == "" and safe_cell(True) == "true"


def test_the_file_starts_with_a_bom_and_reads_back():
    text = csv_text([["หัวข้อ", "=1+1"], ["n", 5]])
    assert text.startswith(BOM)
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows == [["หัวข้อ", "'=1+1"], ["n", "5"]]


def test_the_response_is_an_attachment_in_utf8():
    response = csv_response([["a"]], filename="x.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response.content.startswith(BOM.encode("utf-8"))
