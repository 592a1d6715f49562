"""Comparing names and dates of birth as a clerk would (custody.names): examples, then properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff.custody import names

DOB = date(1985, 3, 4)


def test_it_folds_case_accents_and_punctuation():
    assert names.fold("García-López, José") == "garcia lopez jose"
    assert names.fold("  O'BRIEN  ") == "o brien"
    assert names.fold("") == ""


@pytest.mark.parametrize(("request_name", "booked", "difference"), [
    (("GARCIA", "JOSE"), ("García López", "José"), "family name: one is part of the other's compound family name"),
    (("GARCIA LOPEZ", "JOSE"), ("García-López", "José"), "family name: differs only in letter case, accents or punctuation"),
    (("GARCIALOPEZ", "JOSE"), ("García López", "José"), "family name: differs only in hyphens or spaces"),
    (("Garcia", "Jose"), ("GARCIA", "JOSE LUIS"), "given name: one is the start of the other"),
    (("Smith", "Chris"), ("Smith", "Christopher"), "given name: one is the start of the other"),
    (("Smith", "Luis"), ("Smith", "Jose Luis"), "given names: one is one of the other's given names"),
    (("JOSE", "GARCIA"), ("García", "José"), "given and family names are the wrong way round"),
])
def test_it_finds_each_kind_of_near_miss_and_says_what_differs(request_name, booked, difference):
    got = names.compare(*request_name, DOB, *booked, DOB)
    assert got.fits and not got.exact
    assert difference in got.differences
    assert 0 < got.score < 100


def test_it_calls_the_same_name_written_the_same_way_exact():
    got = names.compare("Garcia", "Jose", DOB, "GARCIA", "jose", DOB)
    assert got.exact and got.score == 100 and got.differences == ()


@pytest.mark.parametrize(("other", "words"), [
    (DOB + timedelta(days=1), "date of birth: one day apart"),
    (DOB - timedelta(days=1), "date of birth: one day apart"),
    (date(1985, 4, 3), "date of birth: day and month swapped"),
])
def test_it_accepts_a_date_of_birth_one_day_off_or_with_day_and_month_swapped(other, words):
    got = names.compare("Garcia", "Jose", DOB, "Garcia", "Jose", other)
    assert got.fits and words in got.differences


@pytest.mark.parametrize(("booked", "dob"), [
    (("Garcia", "Maria"), DOB),  # another given name
    (("Gonzalez", "Jose"), DOB),  # another family name
    (("Garcia", "Jose"), DOB + timedelta(days=2)),  # two days off
    (("Garcia", "Jose"), date(1986, 3, 4)),  # another year
    (("Garcia", "Jose"), None),  # unknown date of birth
    (("", "Jose"), DOB),
])
def test_it_never_calls_different_people_near(booked, dob):
    assert not names.compare("Garcia", "Jose", DOB, *booked, dob).fits


def test_it_scores_several_differences_lower_than_one():
    one = names.compare("GARCIA", "JOSE", DOB, "García López", "José", DOB)
    two = names.compare("GARCIA", "JOSE", DOB, "García López", "José", DOB + timedelta(days=1))
    assert two.score < one.score


# --- properties ----------------------------------------------------------------------------------------

name_text = st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzáéíóúñüçABCDEFGHÑ -'.,")),
                    min_size=1, max_size=20)
plain_word = st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz")), min_size=2, max_size=10)
dates = st.dates(min_value=date(1900, 1, 2), max_value=date(2020, 12, 30))
ACCENTED = str.maketrans("aeioun", "áéíóúñ")


@given(name_text)
def test_it_folds_idempotently(text):
    assert names.fold(names.fold(text)) == names.fold(text)


@given(name_text)
def test_it_folds_to_lower_case_letters_digits_and_single_spaces(text):
    folded = names.fold(text)
    assert folded == folded.strip() and "  " not in folded
    assert all(c.isalnum() or c == " " for c in folded)
    assert folded == folded.casefold()


@given(plain_word, plain_word, dates)
def test_it_finds_a_name_the_same_as_itself(last, first, dob):
    assert names.compare(last, first, dob, last, first, dob).exact


@given(plain_word, plain_word, plain_word, dates)
def test_it_sees_through_case_accents_and_hyphens(last, last2, first, dob):
    booked = names.compare(last.upper(), first.upper(), dob,
                           f"{last.translate(ACCENTED)}-{last2}", first.translate(ACCENTED), dob)
    assert booked.fits


@given(plain_word, plain_word, plain_word, plain_word, dates, dates)
def test_it_compares_the_same_both_ways(last_a, first_a, last_b, first_b, dob_a, dob_b):
    ab = names.compare(last_a, first_a, dob_a, last_b, first_b, dob_b)
    ba = names.compare(last_b, first_b, dob_b, last_a, first_a, dob_a)
    assert ab.fits == ba.fits
    assert ab.score == ba.score


@given(plain_word, plain_word, dates)
def test_it_finds_names_the_wrong_way_round(last, first, dob):
    got = names.compare(last, first, dob, first, last, dob)
    assert got.fits


@given(dates, dates)
def test_it_accepts_exactly_the_dates_it_would_search_for(a, b):
    assert (names.dob_relation(a, b) is not None) == (b in names.dob_variants(a))


@given(dates)
def test_it_never_scores_outside_0_to_100(dob):
    got = names.compare("Garcia", "Jose", dob, "JOSE", "GARCIA LOPEZ", dob + timedelta(days=1))
    assert got.fits and 0 < got.score <= 100
