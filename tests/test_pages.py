"""Running header/footer removal and page-text normalisation, on synthetic pages."""

from __future__ import annotations

import pytest

from ingest.pages import normalise_page, running_headers, strip_running_lines


def _pages(
    count: int, header: list[str], footer: str | None, body: str = "Brødtekst om mål nummer {n} i aftalen."
) -> list[str]:
    pages = []
    for n in range(1, count + 1):
        lines = [*header, body.format(n=n), f"Unik linje nummer {n * 7} her"]
        if footer is not None:
            lines.append(footer.format(n=n, total=count))
        pages.append("\n".join(lines))
    return pages


@pytest.mark.parametrize(
    "footer",
    ["Side {n} af {total}", "{n}/{total}", "- {n} -", "{n}", "Page {n} of {total}", "Driftsaftale 2024 · side {n}"],
)
def test_page_number_footers_are_removed_from_every_page(footer: str) -> None:
    pages = _pages(6, ["Københavns Kommune"], footer)
    stripped = strip_running_lines(pages)
    for n, page in enumerate(stripped, start=1):
        assert footer.format(n=n, total=6) not in page.splitlines()
        assert f"Brødtekst om mål nummer {n} i aftalen." in page


def test_repeated_header_is_kept_once_on_its_first_page() -> None:
    stripped = strip_running_lines(_pages(5, ["Københavns Kommune", "Uanmeldt tilsyn, Kærkommen"], None))
    assert stripped[0].startswith("Københavns Kommune\nUanmeldt tilsyn, Kærkommen\n")
    assert all("Københavns Kommune" not in page and "Kærkommen" not in page for page in stripped[1:])


def test_letter_spaced_header_variants_count_as_the_same_line() -> None:
    headers = ["Ti t e l Ve r s i on Dat o", "Tit e l Ver s ion  Dato", "T i t e l V e r s i o n Dat o"]
    headers.append("Titel Version Dato")
    pages = [f"{h}\nIndhold i afsnit {n}\nMere tekst {n * 11}" for n, h in enumerate(headers, start=1)]
    stripped = strip_running_lines(pages)
    assert all("Dat" not in page for page in stripped)  # letter-spaced junk is not kept even once
    assert all(f"Indhold i afsnit {n}" in page for n, page in enumerate(stripped, start=1))


def test_a_letter_spaced_line_that_does_not_recur_is_kept() -> None:
    pages = ["Indledning\nT i l s y n s r a p p o r t\nTekst 1", "Indledning\nBrødtekst\nTekst 2", "Andet\nTekst 3"]
    assert strip_running_lines(pages)[0] == pages[0]


def test_a_line_that_appears_once_is_never_removed() -> None:
    pages = _pages(4, ["Københavns Kommune"], "Side {n} af {total}")
    pages[2] = "Bilag 3 – særlige vilkår\n" + pages[2]
    assert "Bilag 3 – særlige vilkår" in strip_running_lines(pages)[2]


def test_single_page_document_is_returned_unchanged() -> None:
    page = "Side 1 af 1\nKøbenhavns Kommune\nMål: 4,5 %\n1"
    assert strip_running_lines([page]) == [page]


def test_repeated_body_heading_below_unique_lines_is_kept() -> None:
    # Council minutes: every page starts with its own item title, then "Beslutning".
    pages = [f"Punkt {n}: Sag nummer {n * 13}\nBeslutning\nGodkendt med {n * 3} stemmer." for n in range(1, 6)]
    assert strip_running_lines(pages) == pages


def test_bare_numbers_that_do_not_follow_the_page_number_are_kept() -> None:
    # A table whose last cell is a number on every page: not a page number, since it does not track the page.
    pages = [f"Indsats | Antal\nRække {n} | Tekst\n{value}" for n, value in enumerate([40, 12, 7, 40, 95], start=1)]
    stripped = strip_running_lines(pages)
    assert [page.splitlines()[-1] for page in stripped] == ["40", "12", "7", "40", "95"]


def test_table_values_recurring_at_some_page_bottoms_are_kept() -> None:
    # "100 %" closes the goal table on a third of the pages: content, not a footer.
    pages = [
        f"Mål {n}\nVurdering af mål {n} med {n * 5} point\n" + ("100 %" if n % 3 == 0 else f"{n}0 % i alt")
        for n in range(1, 10)
    ]
    assert strip_running_lines(pages) == pages


def test_page_number_footer_placed_mid_page_is_removed_with_its_running_title() -> None:
    pages = []
    for n in range(1, 9):
        middle = n in (4, 6)  # layout analysis put the footer box between two text boxes on some pages
        body = [f"Afsnit {n}.1 tekst", f"Afsnit {n}.2 tekst om {n * 17} borgere"]
        footer = ["Rigsarkivet → Vejledning", f"Side {n} af 8"]
        lines = [body[0], *footer, body[1]] if middle else [*body, *footer]
        pages.append("\n".join(lines))
    stripped = strip_running_lines(pages)
    assert all(f"Side {n} af 8" not in page for n, page in enumerate(stripped, start=1))
    assert sum("Rigsarkivet" in page for page in stripped) == 1
    assert all(f"Afsnit {n}.2 tekst" in page for n, page in enumerate(stripped, start=1))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\x00b", "a b"),
        ("4,5\u00a0%", "4,5 %"),
        ("13.4\u202fmio. kr.", "13.4 mio. kr."),
        ("linje\r\nto\rtre", "linje\nto\ntre"),
        ("bla\u030aba\u0308r", "blåbär"),  # combining marks composed (NFC)
        ("\uf0b7 punkt", "• punkt"),
        ("hale   \nnæste", "hale\nnæste"),
        ("nul\u200bbredde", "nulbredde"),
    ],
    ids=["nul", "nbsp", "narrow-nbsp", "crlf", "nfc", "symbol-bullet", "trailing-space", "zero-width"],
)
def test_normalise_page_cleans_characters(raw: str, expected: str) -> None:
    assert normalise_page(raw) == expected


@pytest.mark.parametrize(
    ("footer", "expected"),
    [
        ("Rigsarkivet → Vejledning om arkivering Side {n} af {total}", ["Rigsarkivet → Vejledning om arkivering"]),
        ("Driftsaftale for Bakkegården · side {n}", ["Driftsaftale for Bakkegården"]),
        ("Side {n} af {total}", []),
    ],
)
def test_running_headers_are_read_without_their_page_numbering(footer: str, expected: list[str]) -> None:
    assert running_headers(_pages(6, [], footer)) == expected


def test_a_single_page_has_no_running_headers() -> None:
    assert running_headers(["Rigsarkivet → Vejledning om arkivering Side 1 af 1"]) == []
