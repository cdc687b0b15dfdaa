"""Office hours: split hours with a lunch break, day names as written, holidays, and the working-time clock."""

from datetime import date, datetime, timedelta, timezone

import pytest

from bot.catalogue.hours import (
    HoursFormatError,
    Span,
    describe_hours,
    in_break,
    is_open,
    next_opening,
    parse_hours,
    spans_on,
    working_minutes_between,
)

SPLIT = "lun-vie 08:30-13:30, 14:30-17:30; sáb 09:00-12:00"
MONDAY = date(2026, 11, 30)  # Monday; 2026-11-28 is a Saturday, 2026-11-29 a Sunday
CHRISTMAS = date(2026, 12, 25)  # Friday


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def test_split_hours_parse_into_two_spans_the_same_days():
    weekdays, saturday = parse_hours(SPLIT)
    assert weekdays.days == (0, 1, 2, 3, 4) and saturday.days == (5,)
    assert [(s.opens.hour, s.closes.hour) for s in weekdays.spans] == [(8, 13), (14, 17)]


def test_split_hours_are_described_in_natural_spanish():
    assert describe_hours(SPLIT) == "Lunes a viernes de 08:30 a 13:30 y de 14:30 a 17:30; sábado de 09:00 a 12:00"
    three = "lun-jue 08:00-10:00, 11:00-13:00, 14:00-16:00"
    assert describe_hours(three) == "Lunes a jueves de 08:00 a 10:00, de 11:00 a 13:00 y de 14:00 a 16:00"


def test_existing_formats_keep_their_description():
    assert describe_hours("lun-jue 08:30-17:30; vie 08:30-16:30") == (
        "Lunes a jueves de 08:30 a 17:30; viernes de 08:30 a 16:30"
    )
    assert describe_hours("lun-vie 08:00-20:00; sab 09:00-13:00") == (
        "Lunes a viernes de 08:00 a 20:00; sábado de 09:00 a 13:00"
    )


@pytest.mark.parametrize(
    "written",
    [
        "lun-vie 08:30-13:30, 14:30-17:30; sab 09:00-12:00",
        "LUN-VIE 08:30-13:30,14:30-17:30; SÁB 09:00-12:00",
        "Lunes-Viernes 08:30-13:30 , 14:30 - 17:30 ;Sábado 9:00-12:00;",
        "lun - vie 08:30-13:30, 14:30-17:30; Sáb. 09:00-12:00",
    ],
)
def test_day_names_with_or_without_accents_in_any_case(written):
    assert describe_hours(written) == describe_hours(SPLIT)


def test_lists_of_days_are_described_as_written():
    assert describe_hours("lun, mié 09:00-12:00") == "Lunes y miércoles de 09:00 a 12:00"
    assert describe_hours("Mar-Jue, SÁB 09:00-12:00") == "Martes a jueves y sábado de 09:00 a 12:00"
    assert describe_hours("lun-mar 09:00-12:00") == "Lunes y martes de 09:00 a 12:00"


@pytest.mark.parametrize(
    "text, said",
    [
        ("todos los dias", "faltan las horas"),
        ("lun-vie", "faltan las horas"),
        ("08:30-17:30", "faltan los días"),
        ("lnu-vie 08:30-17:30", "día desconocido 'lnu'"),
        ("vie-lun 08:30-17:30", "van hacia atrás"),
        ("lun-mar-mie 08:30-17:30", "días inválidos"),
        ("lun-vie 8-17", "se escribe HH:MM-HH:MM"),
        ("lun-vie 08:30-25:00", "hora inválida 25:00"),
        ("lun-vie 14:30-13:30", "cierra antes de abrir"),
        ("lun-vie 08:30-13:30, 13:00-17:30", "se superponen"),
        ("lun-vie 14:30-17:30, 08:30-13:30", "no van en orden"),
        ("lun-vie 08:30-13:30,", "horario inválido ''"),
        ("", "no hay horario"),
    ],
)
def test_malformed_hours_raise_a_clear_spanish_message(text, said):
    with pytest.raises(HoursFormatError, match=said):
        parse_hours(text)


def test_closed_during_the_lunch_break():
    assert is_open(SPLIT, at(MONDAY, 8, 30)) and is_open(SPLIT, at(MONDAY, 13, 29))
    assert not is_open(SPLIT, at(MONDAY, 13, 30)) and not is_open(SPLIT, at(MONDAY, 14, 0))
    assert is_open(SPLIT, at(MONDAY, 14, 30)) and not is_open(SPLIT, at(MONDAY, 17, 30))
    assert is_open(SPLIT, at(date(2026, 11, 28), 11, 59)) and not is_open(SPLIT, at(date(2026, 11, 29), 10))


def test_next_opening_during_the_break_is_the_afternoon():
    assert next_opening(SPLIT, at(MONDAY, 13, 45)) == at(MONDAY, 14, 30)
    assert next_opening(SPLIT, at(MONDAY, 7, 0)) == at(MONDAY, 8, 30)
    assert next_opening(SPLIT, at(MONDAY, 18, 0)) == at(MONDAY + timedelta(days=1), 8, 30)
    assert next_opening(SPLIT, at(date(2026, 11, 28), 12, 30)) == at(MONDAY, 8, 30)  # Saturday afternoon


def test_the_break_is_told_from_before_opening_and_after_closing():
    assert in_break(SPLIT, at(MONDAY, 13, 30)) and in_break(SPLIT, at(MONDAY, 14, 29))
    assert not in_break(SPLIT, at(MONDAY, 14, 30)) and not in_break(SPLIT, at(MONDAY, 12))
    assert not in_break(SPLIT, at(MONDAY, 7)) and not in_break(SPLIT, at(MONDAY, 18))
    assert not in_break(SPLIT, at(MONDAY, 14), {MONDAY}) and not in_break("lun-vie 08:30-17:30", at(MONDAY, 14))


def test_closed_on_a_holiday_and_the_next_opening_skips_it():
    assert is_open(SPLIT, at(CHRISTMAS, 10)) and not is_open(SPLIT, at(CHRISTMAS, 10), {CHRISTMAS})
    assert next_opening(SPLIT, at(CHRISTMAS, 7), {CHRISTMAS}) == at(date(2026, 12, 26), 9, 0)  # the Saturday
    fiestas_patrias = {date(2026, 9, 18), date(2026, 9, 19)}  # Friday and Saturday
    assert next_opening(SPLIT, at(date(2026, 9, 17), 18), fiestas_patrias) == at(date(2026, 9, 21), 8, 30)


def test_a_holiday_mapping_with_names_works_as_the_days():
    named = {CHRISTMAS: "Navidad"}
    assert not is_open(SPLIT, at(CHRISTMAS, 10), named)
    assert next_opening(SPLIT, at(CHRISTMAS, 10), named) == at(date(2026, 12, 26), 9, 0)


def test_no_opening_within_a_month_is_none():
    every_day = {date(2026, 1, 1) + timedelta(days=n) for n in range(60)}
    assert next_opening(SPLIT, at(date(2026, 1, 1), 8), every_day) is None


def test_a_day_in_two_chunks_has_its_spans_merged():
    rules = parse_hours("lun-vie 08:30-13:30; lun 13:00-16:00, 16:30-18:00")
    assert spans_on(rules, 0) == [
        Span(at(MONDAY, 8, 30).time(), at(MONDAY, 16).time()),
        Span(at(MONDAY, 16, 30).time(), at(MONDAY, 18).time()),
    ]
    assert describe_hours("lun-vie 08:30-13:30; lun 15:00-17:00") == (
        "Lunes a viernes de 08:30 a 13:30; lunes de 15:00 a 17:00"
    )


# Working-time clock: the staff console's first-response SLA counts only office minutes.


def test_working_minutes_within_one_span():
    assert working_minutes_between(SPLIT, (), at(MONDAY, 9), at(MONDAY, 10, 15)) == 75


def test_working_minutes_skip_the_lunch_break():
    assert working_minutes_between(SPLIT, (), at(MONDAY, 13), at(MONDAY, 15)) == 60  # 13:00-13:30 and 14:30-15:00
    assert working_minutes_between(SPLIT, (), at(MONDAY, 13, 40), at(MONDAY, 14, 20)) == 0


def test_working_minutes_of_a_whole_week():
    week = 5 * (300 + 180) + 180  # five split days and the Saturday morning
    assert working_minutes_between(SPLIT, (), at(MONDAY, 0), at(MONDAY + timedelta(days=7), 0)) == week


def test_working_minutes_across_days_and_the_weekend():
    friday = date(2026, 11, 27)
    # Friday 17:00-17:30, Saturday 09:00-12:00, nothing on Sunday, Monday 08:30-09:30
    expected = 30 + 180 + 60
    assert working_minutes_between(SPLIT, (), at(friday, 17), at(MONDAY, 9, 30)) == expected
    assert working_minutes_between("lun-vie 08:30-17:30", (), at(friday, 18), at(MONDAY, 8, 30)) == 0


def test_working_minutes_skip_holidays():
    thursday = date(2026, 12, 24)
    start, end = at(thursday, 17), at(date(2026, 12, 28), 9)  # Thursday 17:00 to Monday 09:00
    assert working_minutes_between(SPLIT, (), start, end) == 30 + 480 + 180 + 30
    assert working_minutes_between(SPLIT, {CHRISTMAS}, start, end) == 30 + 180 + 30
    assert working_minutes_between(SPLIT, {CHRISTMAS: "Navidad"}, start, end) == 30 + 180 + 30


def test_working_minutes_count_seconds_and_nothing_backwards():
    assert working_minutes_between(SPLIT, (), at(MONDAY, 9), at(MONDAY, 9) + timedelta(seconds=90)) == 1.5
    assert working_minutes_between(SPLIT, (), at(MONDAY, 10), at(MONDAY, 9)) == 0
    assert working_minutes_between(SPLIT, (), at(MONDAY, 10), at(MONDAY, 10)) == 0


def test_working_minutes_want_local_times():
    aware = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        working_minutes_between(SPLIT, (), aware, aware + timedelta(hours=1))


# --- The handoff message and the first-response clock with split hours and a municipality's own holidays ---

OWN_HOLIDAY = date(2026, 12, 7)  # a Monday the municipality itself closes; 2026-12-08 is a national holiday
SANTIAGO = "America/Santiago"


def _town(office_key: str = "principal"):
    """A municipality written as in its YAML file, with split hours, Saturday mornings and its own holiday."""
    from bot.catalogue.model import Municipality

    return Municipality.from_dict(
        {
            "slug": "penalolen",
            "name": "Municipalidad de Peñalolén",
            "comuna": "Peñalolén",
            "code": "PEN",
            "offices": [
                {"key": office_key, "name": "Edificio Consistorial", "address": "Av. Grecia 8735", "hours": SPLIT}
            ],
            "feriados": [OWN_HOLIDAY],  # YAML reads the date as a date
        }
    )


def _holidays(catalogue, town):
    import dataclasses

    return dataclasses.replace(catalogue, municipalities={**catalogue.municipalities, town.slug: town}).holidays_for(
        town.slug
    )


WRITTEN = "lunes a viernes de 08:30 a 13:30 y de 14:30 a 17:30; sábado de 09:00 a 12:00"


@pytest.mark.parametrize("office_key", ["principal", "tesoreria"])  # without a "principal", the first office
def test_the_handoff_message_follows_split_hours_saturdays_and_holidays(catalogue, office_key):
    from bot.answers.handoff import handed_over

    town = _town(office_key)
    holidays = _holidays(catalogue, town)
    assert holidays[OWN_HOLIDAY] == "" and holidays[date(2026, 12, 8)] == "Inmaculada Concepción"

    def said(moment: datetime) -> str:
        return handed_over(town, moment, holidays).text

    assert "en breve" in said(at(MONDAY, 10))
    assert "en breve" in said(at(date(2026, 11, 28), 10))  # Saturday morning: open
    lunch = said(at(MONDAY, 13, 45))
    assert f"fuera de horario por la hora de colación (atiende {WRITTEN})" in lunch
    assert "te responderá por aquí hoy desde las 14:30" in lunch and "en breve" not in lunch
    saturday_noon = said(at(date(2026, 12, 5), 12, 30))
    assert f"Ahora la Municipalidad de Peñalolén está fuera de horario (atiende {WRITTEN})" in saturday_noon
    assert "el miércoles 09/12 desde las 08:30 (el lunes 07/12 y el martes 08/12 son feriados)" in saturday_noon
    own = said(at(OWN_HOLIDAY, 10))
    assert "Hoy es feriado y la Municipalidad de Peñalolén no atiende" in own
    assert "el miércoles 09/12 desde las 08:30 (el martes 08/12 es feriado)" in own
    assert "Hoy es feriado (Inmaculada Concepción)" in said(at(date(2026, 12, 8), 10))


@pytest.mark.parametrize("office_key", ["principal", "tesoreria"])
def test_the_first_response_clock_follows_split_hours_saturdays_and_holidays(catalogue, office_key):
    from zoneinfo import ZoneInfo

    from bot.handoff.sla import OfficeStatus, SlaClock, SlaState

    zone = ZoneInfo(SANTIAGO)
    town = _town(office_key)
    clock = SlaClock.of(town, _holidays(catalogue, town), 15)
    assert clock.hours == SPLIT

    def moment(day: date, hour: int, minute: int = 0) -> datetime:
        return at(day, hour, minute).replace(tzinfo=zone).astimezone(timezone.utc)

    assert clock.minutes(moment(MONDAY, 13), moment(MONDAY, 15)) == 60  # the lunch break does not count
    # Friday 17:00 to Wednesday 09:00: Friday's last 30 min, Saturday 09-12, nothing on Monday (its own
    # holiday) nor Tuesday (national), Wednesday's first 30 min.
    waited = clock.minutes(moment(date(2026, 12, 4), 17), moment(date(2026, 12, 9), 9))
    assert waited == 30 + 180 + 30 and clock.state(waited, answered=False) == SlaState.LATE
    assert clock.minutes(moment(OWN_HOLIDAY, 9), moment(OWN_HOLIDAY, 17)) == 0
    assert clock.office(moment(MONDAY, 13, 45)).status == OfficeStatus.LUNCH
    assert clock.office(moment(MONDAY, 13, 45)).reopens == at(MONDAY, 14, 30)
    assert clock.office(moment(date(2026, 11, 28), 10)).status == OfficeStatus.OPEN
    saturday = clock.office(moment(date(2026, 12, 5), 12, 30))
    assert saturday.status == OfficeStatus.CLOSED and saturday.reopens == at(date(2026, 12, 9), 8, 30)
    holiday = clock.office(moment(OWN_HOLIDAY, 10))
    assert holiday.status == OfficeStatus.HOLIDAY and holiday.reopens == at(date(2026, 12, 9), 8, 30)
