"""Loaders on the real Danish files in ../shared/realdocs and on small files generated here."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest
from docx import Document as new_docx
from pypdf import PdfReader, PdfWriter

from ingest.documents import RawDocument
from ingest.errors import CorruptDocumentError, EmptyDocumentError, EncryptedDocumentError, UnsupportedFormatError
from ingest.load import decode_text, extract_pdf, load_file
from ingest.pages import strip_running_lines

REALDOCS = Path(__file__).parents[1].parent / "shared" / "realdocs"
needs_realdocs = pytest.mark.skipif(not REALDOCS.is_dir(), reason=f"real test documents not found at {REALDOCS}")


def real(prefix: str) -> Path:
    matches = sorted(REALDOCS.glob(prefix + "*"))
    assert matches, f"no file starting with {prefix!r} in {REALDOCS}"
    return matches[0]


@cache
def load_real(prefix: str) -> RawDocument:
    """Loaded once per session: the 162-page PDF takes seconds. RawDocument is frozen, so sharing is safe."""
    return load_file(real(prefix))


# --- PDF ----------------------------------------------------------------------------------------------


@needs_realdocs
@pytest.mark.parametrize(
    ("prefix", "pages"),
    [
        ("os2webscanner__Tilsynsrapport (2013) - Clara", 28),  # encrypted with an empty user password
        ("os2webscanner__Tilsynsrapport (2013) - Kærkommen", 29),
        ("dagsordener__dagsbil", 4),
        ("kl-dk__FKIGuide", 15),
        ("medcom-kommprovesvar__Kommunale_prøvesvar_Sundhedsfaglig", 9),
    ],
)
def test_pdf_keeps_one_entry_per_page(prefix: str, pages: int) -> None:
    raw = load_real(prefix)
    assert raw.format == "pdf" and raw.has_pages
    assert len(raw.pages) == pages


@needs_realdocs
def test_pdf_without_character_map_is_decoded_with_danish_letters() -> None:
    extraction = extract_pdf(real("aarhusstadsarkiv-convertool__pdf-to-pdfa"))
    text = "".join(extraction.pages)
    assert len(extraction.pages) == 162
    assert "bekendtgørelse" in text
    assert "ł" not in text and "bekendtgłrelse" not in text
    assert extraction.fallback_pages  # the broken pages came from pdfminer


@needs_realdocs
def test_clean_pdf_pages_do_not_fall_back_to_pdfminer() -> None:
    assert extract_pdf(real("kl-dk__FKIGuide")).fallback_pages == ()


@needs_realdocs
def test_pdf_text_has_no_nul_or_non_breaking_spaces() -> None:
    raw = load_real("os2webscanner__Midler-til-frivilligt-arbejde")
    text = "".join(raw.pages)
    assert len(raw.pages) == 204
    assert "\x00" not in text and "\xa0" not in text
    assert "at yde gratis" in text  # the NUL/NBSP-separated words are plain words again


@needs_realdocs
@pytest.mark.parametrize(
    ("prefix", "running"),
    [
        ("dagsordener__dagsbil", "Side "),
        ("os2webscanner__Tilsynsrapport (2013) - Kærkommen", "Uanmeldt tilsyn, Kærkommen"),
        ("aarhusstadsarkiv-convertool__pdf-to-pdfa", "Vejledning til bekendtgørelse om arkiveringsversioner"),
        # a page-header table, read row by row (pypdf alone letter-spaced it: "Ini t  Ve r s i on Dat o")
        ("medcom-kommprovesvar__Kommunale_prøvesvar_Use_cases", "Id og proces | Id og titel | Init | Version | Dato"),
    ],
)
def test_running_headers_and_footers_are_gone_from_most_pages(prefix: str, running: str) -> None:
    pages = list(load_real(prefix).pages)
    before = sum(running in page for page in pages)
    after = sum(running in page for page in strip_running_lines(pages))
    assert before >= 0.9 * len(pages)  # the pattern really is a running line
    assert after <= 1


@needs_realdocs
def test_headings_that_recur_in_the_body_are_kept() -> None:
    pages = list(load_real("dagsordener__Aarhus_Byråd").pages)
    stripped = strip_running_lines(pages)
    assert sum(p.count("Beslutninger") for p in stripped) == sum(p.count("Beslutninger") for p in pages)


# --- DOCX ---------------------------------------------------------------------------------------------


@needs_realdocs
def test_docx_tables_come_as_pipe_rows_in_document_order() -> None:
    raw = load_real("medcom-hospnotif__Advisomsygehusophold_Testprotokol")
    text = raw.pages[0]
    assert raw.format == "docx" and not raw.has_pages and len(raw.pages) == 1
    assert "Version | Initialer | Dato | Beskrivelse" in text
    assert sum(" | " in line for line in text.splitlines()) > 100
    assert text.index("Versionering") < text.index("Version | Initialer") < text.index("Indledning\n")


@needs_realdocs
def test_docx_field_results_are_kept_and_footers_are_not() -> None:
    text = load_real("medcom-hospnotif__Advisomsygehusophold_Testprotokol").pages[0]
    assert "Testprotokol for modtagelse af" in text  # "modtagelse" is a DOCPROPERTY field
    assert "Side " not in text  # "Side X af Y" lives in the footer parts


def test_docx_reads_paragraphs_tables_and_skips_header(tmp_path: Path) -> None:
    document = new_docx()
    document.sections[0].header.paragraphs[0].text = "Løbende sidehoved"
    document.add_paragraph("Mål for 2024")
    table = document.add_table(rows=2, cols=3)
    for row, values in zip(table.rows, [("Mål", "Indikator", "Måltal"), ("Trivsel", "Andel", "4,5 %")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("Opfølgning")
    path = tmp_path / "aftale.docx"
    document.save(str(path))
    text = load_file(path).pages[0]
    assert text.splitlines() == ["Mål for 2024", "Mål | Indikator | Måltal", "Trivsel | Andel | 4,5 %", "Opfølgning"]


# --- HTML ---------------------------------------------------------------------------------------------


@needs_realdocs
def test_html_words_split_across_inline_tags_stay_whole() -> None:
    raw = load_real("greve__Social-og-Handicapudvalget")
    text = raw.pages[0]
    assert raw.format == "html" and len(raw.pages) == 1
    assert "udvalgte områder" in text and "u dvalgte" not in text
    assert "\r" not in text and "DERIVED FILE" not in text  # no CR, no comments


def test_html_drops_chrome_and_renders_blocks_and_tables(tmp_path: Path) -> None:
    html = (
        "<html><head><title>t</title><style>p{}</style></head><body>"
        "<nav>Menu</nav><header>Logo</header><h1>Drift<b>s</b>aftale</h1><p>Linje 1<br>Linje 2</p>"
        "<table><tr><th>Mål</th><th>Måltal</th></tr><tr><td>Ventetid</td><td><span>4,5</span> %</td></tr></table>"
        "<ul><li>Første</li><li>Anden</li></ul><!-- note --><pre>a  b\nc</pre>"
        "<script>var x = 1;</script><footer>Kontakt</footer></body></html>"
    )
    path = tmp_path / "side.html"
    path.write_bytes(html.replace("\n", "\r\n").encode("utf-8"))
    lines = [line for line in load_file(path).pages[0].splitlines() if line]
    assert lines == [
        "Driftsaftale", "Linje 1", "Linje 2", "Mål | Måltal", "Ventetid | 4,5 %", "• Første", "• Anden", "a b", "c"
    ]  # fmt: skip


# --- plain text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Ældre- og plejeområdet 4,5 %".encode(), "Ældre- og plejeområdet 4,5 %"),
        ("\ufeffØkonomi 13,4 mio. kr.".encode(), "Økonomi 13,4 mio. kr."),
        ("Ældre – 129.441 kr.".encode("cp1252"), "Ældre – 129.441 kr."),
        ("Målgruppe".encode("utf-16"), "Målgruppe"),
    ],
    ids=["utf-8", "utf-8-bom", "cp1252", "utf-16"],
)
def test_text_encodings_are_detected(data: bytes, expected: str) -> None:
    assert decode_text(data, Path("x.txt")) == expected


def test_txt_is_one_page_with_lf_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "aftale.md"
    path.write_bytes("# Aftale\r\nMål\u00a01\r\n".encode())
    raw = load_file(path)
    assert raw.format == "md" and raw.pages == ("# Aftale\nMål 1\n",) and not raw.has_pages


# --- bad files ----------------------------------------------------------------------------------------


def _encrypted_pdf(path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    writer.write(path)


def _bad_file(kind: str, tmp_path: Path) -> Path:
    if kind == "unsupported":
        path = tmp_path / "aftale.xlsx"
        path.write_bytes(b"PK\x03\x04")
    elif kind == "empty-txt":
        path = tmp_path / "tom.txt"
        path.write_bytes(b"")
    elif kind == "blank-txt":
        path = tmp_path / "blank.txt"
        path.write_bytes(b" \n\n\t\n")
    elif kind == "encrypted-pdf":
        path = tmp_path / "låst.pdf"
        _encrypted_pdf(path)
    elif kind == "imageless-pdf":
        path = tmp_path / "scannet.pdf"
        writer = PdfWriter()
        writer.add_blank_page(width=200, height=200)
        writer.write(path)
    elif kind == "corrupt-pdf":
        path = tmp_path / "skadet.pdf"
        path.write_bytes(os.urandom(2048))
    elif kind == "corrupt-docx":
        path = tmp_path / "skadet.docx"
        path.write_bytes(os.urandom(2048))
    elif kind == "misnamed-docx":
        path = tmp_path / "tekst.docx"
        path.write_text("Dette er ren tekst.", encoding="utf-8")
    elif kind == "binary-txt":
        path = tmp_path / "binær.txt"
        path.write_bytes(b"\x00\x01\x02" * 100)
    else:
        raise ValueError(kind)
    return path


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("unsupported", UnsupportedFormatError),
        ("empty-txt", EmptyDocumentError),
        ("blank-txt", EmptyDocumentError),
        ("encrypted-pdf", EncryptedDocumentError),
        ("imageless-pdf", EmptyDocumentError),
        ("corrupt-pdf", CorruptDocumentError),
        ("corrupt-docx", CorruptDocumentError),
        ("misnamed-docx", CorruptDocumentError),
        ("binary-txt", CorruptDocumentError),
    ],
)
def test_bad_files_raise_a_specific_error_naming_the_file(kind: str, error: type[Exception], tmp_path: Path) -> None:
    path = _bad_file(kind, tmp_path)
    with pytest.raises(error) as caught:
        load_file(path)
    assert path.name in str(caught.value)


@needs_realdocs
def test_pdf_encrypted_with_empty_user_password_is_read(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(real("dagsordener__dagsbil")))
    writer.encrypt(user_password="", owner_password="ejer")
    path = tmp_path / "tom-adgangskode.pdf"
    writer.write(path)
    raw = load_file(path)
    assert len(raw.pages) == 4 and "Sundhed og Omsorg" in raw.pages[0]
