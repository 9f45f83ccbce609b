"""Comparison tables: one sourced row per stated figure, from synthetic targets and from the seeds."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from ingest.targets import Target
from service.compare import COLUMNS, compare_rows, format_table, rows_to_csv
from tests.test_targets import seed_targets


def _target(unit: str, value: str, kind: str = "target", year: str = "2022", metric: str = "sygefravaer") -> Target:
    quote = f"Måltallet for sygefravær på {unit} er {value} i {year}."
    return Target(
        metric=metric,
        value=value,
        number=float(value.split()[0].replace(",", ".")),
        measure="%",
        kind=kind,
        year=year,
        unit=unit,
        organisation="Kommune",
        quote=quote,
        document_id=f"doc-{unit}",
        document_title=f"Aftale {unit}",
        section="Sygefravær",
        page=3,
        start=10,
        end=10 + len(quote),
    )


TARGETS = [
    _target("Åbo", "5,1 %"),
    _target("Ørbæk", "6 %"),
    _target("Bakkegården", "8 %"),
    _target("Bakkegården", "8,1 %", kind="baseline", year="2017"),
    _target("CJU", "4,5 %"),
    _target("CJU", "75 %", metric="rolleklarhed"),
]


def test_rows_hold_every_column_and_only_the_topic_metric() -> None:
    rows = compare_rows("sygefravær", TARGETS)
    assert [row["value"] for row in rows] == ["8 %", "8,1 %", "4,5 %", "6 %", "5,1 %"]
    assert all(tuple(row) == COLUMNS for row in rows)
    assert {row["metric"] for row in rows} == {"sygefravaer"}


def test_rows_sort_by_unit_then_kind_with_danish_letters_last() -> None:
    rows = compare_rows("sygefravær", TARGETS)
    assert [(row["unit"], row["kind"]) for row in rows] == [
        ("Bakkegården", "target"),
        ("Bakkegården", "baseline"),
        ("CJU", "target"),
        ("Ørbæk", "target"),
        ("Åbo", "target"),
    ]


@pytest.mark.parametrize("topic", ["sygefraværsmålene", "Compare the sick-leave targets", "måltal for sygefravær"])
def test_a_topic_asking_for_targets_leaves_out_baselines_and_measured_figures(topic: str) -> None:
    rows = compare_rows(topic, TARGETS)
    assert {row["kind"] for row in rows} == {"target"} and len(rows) == 4


def test_english_topic_gives_the_same_rows_as_danish() -> None:
    assert compare_rows("sick leave targets", TARGETS) == compare_rows("sygefraværsmål", TARGETS)


@pytest.mark.parametrize(
    ("filters", "values"),
    [
        ({"kind": "target"}, ["8 %", "4,5 %", "6 %", "5,1 %"]),
        ({"kind": ["baseline", "actual"]}, ["8,1 %"]),
        ({"unit": "cju"}, ["4,5 %"]),
        ({"year": "2017"}, ["8,1 %"]),
        ({"year": None}, ["8 %", "8,1 %", "4,5 %", "6 %", "5,1 %"]),
        ({"unit": "Nowhere"}, []),
    ],
)
def test_filters_narrow_rows_on_their_fields(filters: dict, values: list[str]) -> None:
    assert [row["value"] for row in compare_rows("sygefravær", TARGETS, filters)] == values


@pytest.mark.parametrize("topic", ["parkering", "", "weather"])
def test_a_topic_no_metric_names_gives_no_rows(topic: str) -> None:
    assert compare_rows(topic, TARGETS) == []


def test_a_known_metric_the_agreements_never_quantify_gives_no_rows() -> None:
    assert compare_rows("sundhedstjek", list(seed_targets())) == []


def test_the_same_figure_in_the_same_quote_is_one_row() -> None:
    assert len(compare_rows("sygefravær", [TARGETS[0], TARGETS[0]])) == 1


def test_csv_round_trips_the_rows() -> None:
    rows = compare_rows("sygefravær", TARGETS)
    parsed = list(csv.DictReader(io.StringIO(rows_to_csv(rows))))
    assert [row["value"] for row in parsed] == [row["value"] for row in rows]
    assert [row["quote"] for row in parsed] == [row["quote"] for row in rows]
    assert tuple(parsed[0]) == COLUMNS


def test_table_shows_every_value_with_its_source() -> None:
    table = format_table(compare_rows("sygefravær", TARGETS))
    lines = table.splitlines()
    assert lines[0].startswith("Enhed")
    assert len(lines) == 2 + 5
    for value in ("8 %", "8,1 %", "4,5 %", "5,1 %"):
        assert value in table
    assert "Aftale CJU, Sygefravær, s. 3" in table


def test_an_empty_table_says_nothing_was_found() -> None:
    assert "no figures found" in format_table([])


def test_seed_sick_leave_table_has_one_row_per_stated_figure() -> None:
    rows = compare_rows("Sick leave", list(seed_targets()), {"kind": "target"})
    assert sorted(row["value"] for row in rows) == sorted(
        ["4,5 %", "6,75 %", "8 %", "3,4 %", "2,9 %", "4,3 %", "2,5 %", "3,7 %"]
    )
    assert all(row["value"] in row["quote"] for row in rows)


def test_document_filters_keep_area_rows_of_the_filtered_agreement() -> None:
    area = replace(
        _target("det samlede socialområde", "6,75 %"),
        document_unit="Bakkegården",
        document_year="2022",
        doc_type="drifts- og udviklingsaftale",
    )
    rows = compare_rows("sygefravær", [*TARGETS, area], {"unit": "bakkegården", "doc_type": None})
    assert [row["value"] for row in rows] == ["8 %", "8,1 %", "6,75 %"]
    assert compare_rows("sygefravær", [*TARGETS, area], {"doc_type": "Drifts- og udviklingsaftale"}) == [
        compare_rows("sygefravær", [area])[0]
    ]
