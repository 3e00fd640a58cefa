from django import template

register = template.Library()


@register.simple_tag
def low_stock_summary():
    """The home tile's figures (stock/selectors.py)."""
    from stock.selectors import low_stock_summary as summary

    return summary()
