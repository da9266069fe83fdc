"""The district's days: times are stored as naive UTC, every day the product shows is a local one.

The zone is the configured ``BABEL_DEFAULT_TIMEZONE`` (``TIMEZONE``, checked when the application starts:
survey/config.py). A resident answering at 07:30 in Beijing on 27 November answered on 27 November,
though it was still the 26th in UTC: the daily rollup, the date filters and "today" all use local days.
"""

from datetime import UTC, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app

HOUR = timedelta(hours=1)
# Hours whose offset a ``DayFinder`` keeps (a year of hours is 8,760): then it starts again.
KEPT_HOURS = 100_000


@lru_cache(maxsize=16)
def zone_named(name):
    """The ZoneInfo of an IANA zone name (kept: looked up once per process)."""
    return ZoneInfo(name)


def zone():
    """The district's time zone."""
    return zone_named(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _hour_offset(tz, hour):
    """The zone's UTC offset throughout the UTC hour starting at naive ``hour``, or None when it changes in it."""
    first = hour.replace(tzinfo=UTC).astimezone(tz).utcoffset()
    last = (hour + HOUR - timedelta(microseconds=1)).replace(tzinfo=UTC).astimezone(tz).utcoffset()
    return first if first == last else None


class DayFinder:
    """Local days and times of naive UTC times, for many times: the zone's offset is looked up once per UTC hour.

    A full conversion costs about 2 µs; adding the hour's offset about a tenth of that, which counts when
    a rebuild or a simulation assigns days to a million responses. An hour in which the offset changes
    (a daylight-saving switch not on the hour) is converted exactly, time by time.
    """

    __slots__ = ("tz", "offsets")

    def __init__(self, tz):
        self.tz, self.offsets = tz, {}

    def offset(self, moment):
        """The zone's UTC offset at ``moment`` (naive UTC) when it holds for the whole hour, else None."""
        key = moment.toordinal() * 24 + moment.hour
        offsets = self.offsets
        try:
            return offsets[key]
        except KeyError:
            if len(offsets) >= KEPT_HOURS:
                offsets.clear()
            offset = offsets[key] = _hour_offset(self.tz, moment.replace(minute=0, second=0, microsecond=0))
            return offset

    def __call__(self, moment):
        """The local day of ``moment`` (naive UTC)."""
        offset = self.offset(moment)
        if offset is None:
            return moment.replace(tzinfo=UTC).astimezone(self.tz).date()
        return (moment + offset).date()

    def local_time(self, moment):
        """``moment`` (naive UTC) as the district's local time, aware of its offset."""
        offset = self.offset(moment)
        if offset is None:
            return moment.replace(tzinfo=UTC).astimezone(self.tz)
        return (moment + offset).replace(tzinfo=_fixed_zone(offset))


@lru_cache(maxsize=64)
def _fixed_zone(offset):
    return timezone(offset)


@lru_cache(maxsize=16)
def _finder(tz):
    return DayFinder(tz)


def day_finder():
    """The ``DayFinder`` of the configured zone: call it for the local day of a naive UTC time, or use its
    ``local_time`` for the local time itself; fast for many times."""
    return _finder(zone())


def local_day(moment):
    """The district's calendar day at ``moment``, a naive UTC datetime."""
    return _finder(zone())(moment)


def day_start_utc(day):
    """Local midnight starting ``day``, as a naive UTC datetime (what the database stores and compares).

    Where a daylight-saving switch skips midnight, the day starts at the switch (its first local instant).
    """
    return datetime.combine(day, time.min, tzinfo=zone()).astimezone(UTC).replace(tzinfo=None)


def today():
    """Today's date where the district is (not where the server's clock is set)."""
    return datetime.now(zone()).date()


def local_dates(since, until):
    """``(start, end)``: the naive UTC bounds of the local days ``since`` to ``until`` (inclusive; either may be
    None), as ``start <= time < end``."""
    return (
        None if since is None else day_start_utc(since),
        None if until is None else day_start_utc(until + timedelta(days=1)),
    )
