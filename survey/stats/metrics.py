"""Metrics of DESIGN.md computed from additive counts, with intervals and suppression."""

from dataclasses import dataclass, field

from .intervals import Rate, mean_interval, rate, wilson

METRIC_NAMES = ("awareness", "support", "satisfaction")


@dataclass
class Stats:
    """Every metric for one community or roll-up."""

    participants: int
    population: int | None
    target: float | None
    participation_rate: Rate
    target_progress: float | None
    knowledge_awareness: Rate
    campaign_awareness: Rate
    support: Rate
    satisfaction: Rate
    activity_participation: Rate
    average_score: Rate
    learning_gain: Rate
    questions: list = field(default_factory=list)  # [(item, Rate)] knowledge items, questionnaire order
    assisted: int = 0  # participants who answered in assisted mode (counted in ``participants`` too)

    def rate_fields(self):
        """(name, Rate) for the headline rates, in display order."""
        return [
            ("participation_rate", self.participation_rate),
            ("knowledge_awareness", self.knowledge_awareness),
            ("campaign_awareness", self.campaign_awareness),
            ("support", self.support),
            ("satisfaction", self.satisfaction),
            ("activity_participation", self.activity_participation),
            ("average_score", self.average_score),
            ("learning_gain", self.learning_gain),
        ]


def compute(counts, items, population, target, min_count):
    """Turn Counts into Stats. ``items``: the version's Items in questionnaire order; ``population``/``target``
    may be None. Headline rates come from the category sums; question rates from the per-item counts.

    Suppression: a rate is withheld (value None) when fewer than ``min_count`` participants stand behind
    it — the participants of the unit for its headline rates, the people who answered a question for that
    question's rate, the participants with two attempts for the learning gain.
    """
    people = counts.participants
    questions = []
    for item in items:
        if item.kind == "knowledge":
            item_counts = counts.items.get(item.id)
            scored = item_counts.scored if item_counts else 0
            questions.append((item, rate(item_counts.correct if item_counts else 0, scored, scored, min_count)))
    categories = counts.categories

    def share(name, field="positive", total="rated"):
        found = categories.get(name)
        return (getattr(found, field), getattr(found, total)) if found else (0, 0)

    knowledge = share("knowledge", "correct", "scored")
    participation = _participation(people, population, min_count)
    return Stats(
        participants=people,
        population=population,
        target=target,
        participation_rate=participation,
        target_progress=(people / target) if target else None,
        knowledge_awareness=rate(*knowledge, people, min_count),
        campaign_awareness=rate(*share("awareness"), people, min_count),
        support=rate(*share("support"), people, min_count),
        satisfaction=rate(*share("satisfaction"), people, min_count),
        activity_participation=rate(*share("participation"), people, min_count),
        average_score=mean_interval(counts.score_sum, counts.score_squares, counts.scored_attempts, people, min_count),
        learning_gain=mean_interval(
            counts.gain_sum, counts.gain_squares, counts.gain_participants, counts.gain_participants, min_count
        ),
        questions=questions,
        assisted=counts.assisted,
    )


def _participation(people, population, min_count):
    """Participants ÷ target population; a census ratio that may pass 100% (then without an interval)."""
    if not population:
        return Rate(None, None, None, 0)
    if people < min_count:
        return Rate(None, None, None, population, people, suppressed=True)
    low, high = wilson(people, population) if people <= population else (None, None)
    return Rate(people / population, low, high, population, people)
