"""Turn the stats service's figures into the API's JSON: every rate as {value, low, high, n}."""


def question_json(number, item, rate):
    """One knowledge question: item id, its position in the questionnaire, its text and its correct rate."""
    return {"item_id": item.id, "number": number, "position": item.position, "text": item.text, "rate": rate.as_dict()}


def stats_json(stats):
    """Every metric of one unit (community, street, district)."""
    return {
        "participants": stats.participants,
        "assisted": stats.assisted,
        "population": stats.population,
        "target": stats.target,
        "target_progress": stats.target_progress,
        "rates": {name: rate.as_dict() for name, rate in stats.rate_fields()},
        "questions": [
            question_json(number, item, rate) for number, (item, rate) in enumerate(stats.questions, start=1)
        ],
    }


def community_json(community, stats):
    """A community with its code, name, street and every metric."""
    return {
        "code": community.code,
        "name": community.name,
        "street": {"code": community.street.code, "name": community.street.name},
        **stats_json(stats),
    }


def street_json(street, stats):
    """A street roll-up with its code, name and every metric."""
    return {"code": street.code, "name": street.name, **stats_json(stats)}


def meta_json(filters, result, lang):
    """What the figures cover: version, dates, language and the suppression threshold."""
    return {
        "version": {"number": filters.version.number, "status": filters.version.status},
        "since": filters.since.isoformat() if filters.since else None,
        "until": filters.until.isoformat() if filters.until else None,
        "lang": lang,
        "min_count": result.min_count,
    }


def scope_json(filters, result, lang):
    """``GET /stats``: the visible communities, their streets and the district aggregate."""
    return {
        **meta_json(filters, result, lang),
        "communities": [community_json(c, s) for c, s in result.communities],
        "streets": [street_json(st, s) for st, s in result.streets],
        "district": stats_json(result.district),
    }


def single_json(filters, result, lang):
    """``GET /communities/<code>/stats``: one community, with its street and the district to compare."""
    ((community, stats),) = result.communities
    ((street, street_stats),) = result.streets
    return {
        **meta_json(filters, result, lang),
        "community": community_json(community, stats),
        "street": street_json(street, street_stats),
        "district": stats_json(result.district),
    }
