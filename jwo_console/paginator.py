"""A paginator for grids that can hold millions of rows: it counts at most ``cap`` rows (one
bounded COUNT over a LIMIT subquery) instead of all of them. Past the cap the page says
"10,000+" and filters narrow the result."""

from functools import cached_property

from django.core.paginator import Paginator


class CappedPaginator(Paginator):
    cap = 10_000

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, list):  # already read (a filter that ran in Python)
            return len(self.object_list)
        return self.object_list[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        if self.capped:
            return max(1, self.cap // self.per_page)
        return super().num_pages
