from django import template

register = template.Library()


@register.filter
def qty(value) -> str:
    """A stock quantity without trailing zeros ("31.5", "5"), as stock/movements.py
    ``quantity_text`` writes it everywhere else."""
    from stock.movements import quantity_text

    if value is None or value == "":
        return ""
    return quantity_text(value)


@register.simple_tag
def low_stock_summary():
    """The home tile's figures (stock/selectors.py)."""
    from stock.selectors import low_stock_summary as summary

    return summary()
