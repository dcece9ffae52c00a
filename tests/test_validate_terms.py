"""Literals as the fast engine reads them: XML Schema lexical spaces and SPARQL's ordering,
by santelex's own code (santelex/validation/terms.py), on the examples of the specs."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from santelex.validation import terms

X = "http://www.w3.org/2001/XMLSchema#"


def lit(lexical: str, datatype: str | None = None, lang: str | None = None) -> str:
    import pyoxigraph as ox

    if lang:
        return str(ox.Literal(lexical, language=lang))
    return str(ox.Literal(lexical, datatype=ox.NamedNode(X + datatype)) if datatype else ox.Literal(lexical))


@pytest.mark.parametrize("lexical, datatype, ok", [
    # SHACL 4.1.2 and the suite: ill-typed literals do not conform to their own datatype
    ("42", "integer", True), ("Hello", "integer", False), ("300", "byte", False), ("c", "byte", False),
    ("-128", "byte", True), ("127", "byte", True), ("128", "byte", False), ("none", "boolean", False),
    ("true", "boolean", True), ("1", "boolean", True), ("0", "positiveInteger", False),
    ("-0", "nonPositiveInteger", True), ("+5", "nonNegativeInteger", True), ("-1", "unsignedInt", False),
    # XML Schema 1.1 Part 2 examples of lexical forms
    ("-1.23", "decimal", True), ("12678967.543233", "decimal", True), ("+100000.00", "decimal", True),
    ("210", "decimal", True), ("1.", "decimal", True), (".5", "decimal", True), ("1e3", "decimal", False),
    ("-1E4", "double", True), ("1267.43233E12", "double", True), ("12.78e-2", "float", True), ("12", "float", True),
    ("-0", "float", True), ("INF", "double", True), ("NaN", "double", True), ("inf", "double", False),
    ("2002-10-10", "date", True), ("2002-10-10Z", "date", True), ("2002-10-10+13:00", "date", True),
    ("2002-02-30", "date", False), ("2002-10-10T12:00:00", "date", False), ("02-10-10", "date", False),
    ("2002-10-10T12:00:00-05:00", "dateTime", True), ("2002-10-10T17:00:00Z", "dateTime", True),
    ("2002-10-10T24:00:00", "dateTime", True), ("2002-10-10T24:00:01", "dateTime", False),
    ("2002-10-10T12:00", "dateTime", False), ("13:20:00", "time", True), ("13:20:00.5-05:00", "time", True),
    ("25:00:00", "time", False), ("1999", "gYear", True), ("99", "gYear", False), ("1999-05", "gYearMonth", True),
    ("--05", "gMonth", True), ("---31", "gDay", True), ("--12-25", "gMonthDay", True),
    ("P1Y2M3DT10H30M", "duration", True), ("P", "duration", False), ("PT", "duration", False),
    ("0FB7", "hexBinary", True), ("0FB", "hexBinary", False), ("en-GB", "language", True),
    ("anything at all", "string", True), (" 42 ", "integer", True),
])
def test_datatype_lexical_spaces(lexical, datatype, ok):
    assert terms.well_typed(lit(lexical, datatype), X + datatype) is ok


def test_datatype_is_the_term_s_own():
    assert terms.well_typed(lit("chat", lang="fr"), "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString")
    assert terms.well_typed(lit("chat"), X + "string")
    assert not terms.well_typed(lit("chat", lang="fr"), X + "string")
    assert not terms.well_typed(lit("42", "integer"), X + "decimal")     # a subtype is another datatype
    assert not terms.well_typed("<http://example.org/x>", X + "string")


@pytest.mark.parametrize("a, b, lt", [
    (lit("1", "integer"), lit("1.5", "decimal"), True),          # numbers compare across numeric types
    (lit("2", "byte"), lit("1E1", "double"), True),
    (lit("10", "integer"), lit("9", "integer"), False),
    (lit("2002-10-10", "date"), lit("2002-10-11", "date"), True),
    (lit("2002-10-10T12:00:00Z", "dateTime"), lit("2002-10-10T12:00:01Z", "dateTime"), True),
    (lit("2002-10-10T12:00:00-05:00", "dateTime"), lit("2002-10-10T16:00:00Z", "dateTime"), False),
    (lit("2002-10-10T12:00:00", "dateTime"), lit("2002-10-10T13:00:00Z", "dateTime"), False),  # no timezone: incomparable
    (lit("abc"), lit("abd"), True),
    (lit("1", "integer"), lit("2"), False),                      # a number and a string do not compare
    (lit("2002-10-10", "date"), lit("2002-10-11T00:00:00", "dateTime"), False),
    ("<http://example.org/a>", "<http://example.org/b>", False),  # IRIs do not compare
    (lit("x", "integer"), lit("5", "integer"), False),           # ill-typed: compares with nothing
    (lit("NaN", "double"), lit("1", "double"), False),
    (lit("a", lang="en"), lit("b", lang="en"), False),
])
def test_order_is_sparql_s(a, b, lt):
    assert terms.less(terms.order_key(a), terms.order_key(b)) is lt


@given(st.integers(min_value=-1000, max_value=1000))
def test_byte_range(n):
    assert terms.well_typed(lit(str(n), "byte"), X + "byte") is (-128 <= n <= 127)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3), st.decimals(allow_nan=False,
       allow_infinity=False, places=3))
def test_decimals_order_as_numbers(a, b):
    ka, kb = terms.order_key(lit(str(a), "decimal")), terms.order_key(lit(str(b), "decimal"))
    assert terms.less(ka, kb) is (a < b) and terms.less(ka, kb, or_equal=True) is (a <= b)


@given(st.text(max_size=30), st.sampled_from(["integer", "decimal", "double", "date", "dateTime", "time",
                                              "boolean", "gYear", "duration", "byte", "language"]))
def test_any_lexical_form_is_read_without_error(text, datatype):
    node = lit(text, datatype)
    assert terms.split(node)[0] == text
    assert terms.well_typed(node, X + datatype) in (True, False)
    key = terms.order_key(node)
    assert key is None or terms.less(key, key, or_equal=True) in (True, False)


def test_lexical_forms_are_kept():
    node = lit("0042", "integer")
    assert terms.split(node) == ("0042", X + "integer", None)
    assert str(terms.rdflib_term(node)) == "0042"
    assert terms.order_key(node) == ("number", Decimal(42))
