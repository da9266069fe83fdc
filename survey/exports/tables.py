"""The figures of each dashboard as plain tables (localised headers), ready for any writer."""

from dataclasses import dataclass, field

from ..i18n import _


@dataclass
class Table:
    """A titled table; cells in ``percent_columns`` (except rows in ``count_rows``) are fractions.

    Writers keep fractions as plain numbers in CSV (machine-readable) and format them as percentages in XLSX.
    """

    title: str
    headers: list
    rows: list = field(default_factory=list)
    percent_columns: frozenset = frozenset()
    count_rows: frozenset = frozenset()

    def is_percent(self, row_index, column_index):
        """True when this cell holds a fraction."""
        return column_index in self.percent_columns and row_index not in self.count_rows


def rate_labels():
    """Localised names of the headline rates, keyed like ``Stats.rate_fields()``."""
    return {
        "participation_rate": _("Participation rate"),
        "knowledge_awareness": _("Knowledge awareness"),
        "campaign_awareness": _("Campaign awareness"),
        "support": _("Support"),
        "satisfaction": _("Satisfaction"),
        "activity_participation": _("Activity participation"),
        "average_score": _("Average score"),
        "learning_gain": _("Learning gain"),
    }


def _interval_headers():
    return [_("Value"), _("Lower bound (95% CI)"), _("Upper bound (95% CI)"), _("n")]


def _rate_cells(rate):
    return [rate.value, rate.low, rate.high, rate.n]


def summary_table(stats):
    """One unit's headline figures: participants, target, progress, then each rate with its interval."""
    table = Table(
        _("Summary"),
        [_("Measure"), *_interval_headers()],
        percent_columns=frozenset({1, 2, 3}),
        count_rows=frozenset({0, 1, 2, 3}),
    )
    table.rows += [
        [_("Participants"), stats.participants, None, None, None],
        [_("Of whom assisted by staff"), stats.assisted, None, None, None],
        [_("Target population"), stats.population, None, None, None],
        [_("Participation target"), stats.target, None, None, None],
        [_("Progress to target"), stats.target_progress, None, None, None],
    ]
    labels = rate_labels()
    table.rows += [[labels[name], *_rate_cells(rate)] for name, rate in stats.rate_fields()]
    return table


def questions_table(stats):
    """Correct rate per knowledge question, in questionnaire order."""
    table = Table(
        _("Questions"),
        [
            _("No."),
            _("Item id"),
            _("Question"),
            _("Correct rate"),
            _("Lower bound (95% CI)"),
            _("Upper bound (95% CI)"),
            _("Answers"),
        ],
        percent_columns=frozenset({3, 4, 5}),
    )
    table.rows = [
        [number, item.id, item.text, *_rate_cells(rate)] for number, (item, rate) in enumerate(stats.questions, start=1)
    ]
    return table


def community_tables(stats):
    """The community dashboard: headline rates, then per-question rates."""
    return [summary_table(stats), questions_table(stats)]


def ranking_table(rows, level_label, unit_rows=()):
    """The ranking: one row per community (then any roll-up rows), with every rate and its interval."""
    labels = rate_labels()
    rate_names = list(labels)
    headers = [
        _("Level"),
        _("Code"),
        _("Name"),
        _("Street"),
        _("Participants"),
        _("Target population"),
        _("Participation target"),
        _("Progress to target"),
    ]
    percent = {7}
    for name in rate_names:
        start = len(headers)
        headers += [
            labels[name],
            _("%(measure)s: 95%% low", measure=labels[name]),
            _("%(measure)s: 95%% high", measure=labels[name]),
            _("%(measure)s: n", measure=labels[name]),
        ]
        percent |= {start, start + 1, start + 2}
    headers.append(_("Of whom assisted by staff"))
    table = Table(_("Communities"), headers, percent_columns=frozenset(percent))
    for community, stats in rows:
        table.rows.append(_unit_row(level_label, community.code, community.name, community.street.name, stats))
    for level, code, name, street_name, stats in unit_rows:
        table.rows.append(_unit_row(level, code, name, street_name, stats))
    return table


def _unit_row(level, code, name, street_name, stats):
    rates = dict(stats.rate_fields())
    cells = [level, code, name, street_name, stats.participants, stats.population, stats.target, stats.target_progress]
    for rate_name in rate_labels():
        cells += _rate_cells(rates[rate_name])
    cells.append(stats.assisted)
    return cells


def street_tables(street, ranked, stats):
    """The street dashboard: its communities ranked, the street total, and per-question rates."""
    total = [(_("Street"), street.code, street.name, street.name, stats)]
    return [ranking_table(ranked, _("Community"), total), questions_table(stats)]


def district_tables(ranked, streets, stats):
    """The district dashboard: every community ranked, each street, the district total, per-question rates."""
    totals = [(_("Street"), st.code, st.name, st.name, s) for st, s in streets]
    totals.append((_("District"), "", _("Whole district"), "", stats))
    return [ranking_table(ranked, _("Community"), totals), questions_table(stats)]
