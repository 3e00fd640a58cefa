"""The gate's hot queries compiled once, not on every call.

A gate call spends more of its server time turning querysets into SQL (Django's compiler) than
PostgreSQL spends answering them: the decision's read and the rows it writes are the same SQL
on every call with different values. Here each is compiled by the ORM itself the first time a
connection meets it, and afterwards only the values change:

- ``Compiled(build)``: a read. ``build(*args)`` returns the queryset; the first call compiles it
  with a unique stand-in for each argument (a string, or a random id for an ``int``) and finds
  where each stand-in went in the parameters (each must appear exactly once and unchanged, as
  exact and ``__in`` lookups on text and integer fields pass it through; a tuple argument for
  ``__in`` is compiled per length, up to ``MAX_TUPLE``). Later calls run the same SQL with their
  values in those places — only ``str`` values and positive ``int`` ids below 2**31 (anything
  else, an empty or a longer tuple: the ORM) — and build the instances
  as the ORM's own iterator does (``from_db``, converters, ``select_related`` populators). A
  queryset whose stand-ins cannot all be placed (a ``startswith`` rewrites its value, an integer
  field refuses a string) falls back to the ORM on every call: slower, never different.
  ``build`` must give the same query for every value (no branching on the arguments): the
  stand-ins' query is the one reused; a value derived from an argument is refused (the query is
  compiled twice with different stand-ins and must differ only in their places).
- ``insert_sql(obj)``: a one-row ``INSERT … RETURNING pk``, compiled once per model and field
  set; each call only prepares the values (``pre_save`` and ``get_db_prep_save``, as the ORM's
  compiler does). A value that is an expression falls back to the full compile.

Cached per database connection object (each thread has its own), so nothing is shared between
threads, and bounded (``MAX_PLANS`` per connection; beyond it the ORM). The SQL text does not
depend on the session, so a reconnect keeps it.
"""

import itertools
import random
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql import InsertQuery

M = TypeVar("M", bound=Model)
_CACHE_ATTR = "_jwo_compiled_sql"
_UNPLACEABLE = object()
_KEYS = itertools.count()  # each Compiled its own key (never an id(), which is reused)
MAX_TUPLE = 32  # the longest ``__in`` tuple compiled; longer ones are the ORM's
MAX_PLANS = 256  # plans kept per connection; beyond, the ORM
# An int argument (an id) is reused below this, where every integer column holds it.
_INT_LIMIT = 2**31


def _cache(alias: str) -> dict:
    conn = connections[alias]
    cache = conn.__dict__.get(_CACHE_ATTR)
    if cache is None:
        cache = conn.__dict__[_CACHE_ATTR] = {}
    return cache


def _store(cache: dict, key: Any, plan: Any) -> None:
    if len(cache) < MAX_PLANS:
        cache[key] = plan


def _flat(args: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for arg in args:
        out.extend(arg) if isinstance(arg, tuple) else out.append(arg)
    return out


class _Plan:
    __slots__ = ("compiler", "db", "params", "slots", "sql")

    def __init__(self, sql: str, params: list, slots: list[int], compiler: Any, db: str) -> None:
        self.sql, self.params, self.slots, self.compiler, self.db = sql, params, slots, compiler, db


class Compiled(Generic[M]):
    """A read compiled once per connection; see the module's docstring."""

    def __init__(self, build: Callable[..., QuerySet[M]], using: str = "default") -> None:
        self.build = build
        self.using = using  # the queryset is not built again once compiled, so not asked
        self._key = next(_KEYS)

    def _plan(self, args: tuple) -> _Plan | None:
        """The plan for these arguments' shape, or None: the ORM runs this call."""
        shape = []
        for arg in args:
            if type(arg) is tuple:
                if not 0 < len(arg) <= MAX_TUPLE or any(type(v) is not str for v in arg):
                    return None
                shape.append(len(arg))
            elif type(arg) is str:
                shape.append(-1)
            elif type(arg) is int and 0 < arg < _INT_LIMIT:
                shape.append(-2)
            else:
                return None
        key = (self._key, tuple(shape))
        cache = _cache(self.using)
        plan = cache.get(key)
        if plan is None:
            plan = self._compile(args)
            _store(cache, key, plan)
        return None if plan is _UNPLACEABLE else plan

    def _compile(self, args: tuple) -> Any:
        """A plan for arguments shaped as ``args``, or ``_UNPLACEABLE``. The query is built
        twice, each time with a fresh unique stand-in for each value (a mixed-case string with a
        leading space, so that lowering or stripping it shows; a random id for an int); each
        stand-in must be found exactly once among the parameters, unchanged, and everything else
        — the SQL and every other parameter — must be the same both times. So a value the build
        derives from an argument (``pk + 1``, ``token.lower()``) is never frozen into the plan,
        and a constant can never be mistaken for an argument."""
        first = self._compile_once(args)
        if first is _UNPLACEABLE:
            return first
        second = self._compile_once(args)
        if second is _UNPLACEABLE or second.sql != first.sql or second.slots != first.slots:
            return _UNPLACEABLE
        slots = set(first.slots)
        for i, (a, b) in enumerate(zip(first.params, second.params, strict=True)):
            if i not in slots and (type(a) is not type(b) or a != b):
                return _UNPLACEABLE
        return first

    def _compile_once(self, args: tuple) -> Any:
        tag = uuid.uuid4().hex
        counter = itertools.count()
        numbers = iter(random.sample(range(_INT_LIMIT // 2, _INT_LIMIT), len(_flat(args))))

        def stand_in(arg: Any) -> Any:
            if type(arg) is int:  # an id: a random one, in the range of any integer column
                return next(numbers)
            return f" Jwo-Compiled-{tag}-{next(counter)}"

        stand_ins = tuple(
            tuple(stand_in(v) for v in arg) if type(arg) is tuple else stand_in(arg) for arg in args
        )
        try:
            qs = self.build(*stand_ins).using(self.using)
            plain = (
                qs._iterable_class is ModelIterable
                and not qs._prefetch_related_lookups
                and not qs._known_related_objects
                and not qs.query.annotation_select
                and not qs.query.extra_select
            )
            if not plain:
                return _UNPLACEABLE
            compiler = qs.query.get_compiler(using=qs.db)
            sql, params = compiler.as_sql()
        except Exception:  # a stand-in a field refuses: never compiled, the ORM
            return _UNPLACEABLE
        params = list(params)
        slots = []
        for value in _flat(stand_ins):
            found = [i for i, p in enumerate(params) if type(p) is type(value) and p == value]
            if len(found) != 1:
                return _UNPLACEABLE
            slots.append(found[0])
        if any(type(p) is str and tag in p and i not in slots for i, p in enumerate(params)):
            return _UNPLACEABLE  # a stand-in also went somewhere rewritten
        return _Plan(sql, params, slots, compiler, qs.db)

    def all(self, *args: Any) -> list[M]:
        plan = self._plan(args)
        if plan is None:
            return list(self.build(*args))
        params = list(plan.params)
        for slot, value in zip(plan.slots, _flat(args), strict=True):
            params[slot] = value
        with connections[plan.db].cursor() as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if not rows:
            return []
        compiler = plan.compiler
        select, klass_info = compiler.select, compiler.klass_info
        model_cls = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [f[0].target.attname for f in select[start:end]]
        populators = get_related_populators(klass_info, select, plan.db)
        found = []
        for row in compiler.results_iter([rows]):
            obj = model_cls.from_db(plan.db, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            found.append(obj)
        return found

    def first(self, *args: Any) -> M | None:
        """The first row (the queryset's own order and slice: build it with ``[:1]``)."""
        found = self.all(*args)
        return found[0] if found else None


def insert_sql(obj: Model, alias: str = "default") -> tuple[str, tuple]:
    """The ORM's own INSERT of ``obj`` with RETURNING of the primary key, compiled, not run. A
    primary key already set is written; otherwise the table's sequence assigns it."""
    meta = obj._meta
    fields = [
        f
        for f in meta.local_concrete_fields
        if not f.generated and (f is not meta.auto_field or obj.pk is not None)
    ]
    key = ("insert", obj.__class__, tuple(f.attname for f in fields))
    cache = _cache(alias)
    cached = cache.get(key)
    if cached is not None:
        sql, compiler = cached
        values = [compiler.prepare_value(f, compiler.pre_save_val(f, obj)) for f in fields]
        if not any(hasattr(v, "as_sql") for v in values):
            return sql, tuple(values)
    query = InsertQuery(obj.__class__)
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(using=alias)
    compiler.returning_fields = [meta.pk]
    ((sql, params),) = compiler.as_sql()
    # Reusable only when every field is one plain placeholder holding its own value: no
    # expression among the object's values (one may expand to several placeholders or none).
    plain = len(params) == len(fields) and not any(
        hasattr(f, "get_placeholder")
        or hasattr(getattr(obj, f.attname, None), "resolve_expression")
        or hasattr(p, "as_sql")
        for f, p in zip(fields, params, strict=False)
    )
    if plain and cached is None:
        _store(cache, key, (sql, compiler))
    return sql, tuple(params)


def insert_once(model: type[M], *, unique: str, values: dict[str, Any]) -> tuple[M, bool]:
    """``get_or_create`` by one unique field in one round trip: on PostgreSQL an ``INSERT … ON
    CONFLICT (field) DO NOTHING RETURNING pk`` (compiled once, ``insert_sql``), and the existing
    row read only when there was one; no savepoint, and a concurrent insert of the same key
    waits for it, then is read. Elsewhere the ORM's ``get_or_create``. Returns (row, created).
    No ``post_save`` signal is sent (as with ``bulk_create``): for models nothing listens to."""
    lookup = {unique: values[unique]}
    if connections["default"].vendor != "postgresql":
        defaults = {k: v for k, v in values.items() if k != unique}
        return model.objects.get_or_create(**lookup, defaults=defaults)
    obj = model(**values)
    sql, params = insert_sql(obj)
    head, returning, tail = sql.rpartition(" RETURNING ")
    column = model._meta.get_field(unique).column
    quoted = connections["default"].ops.quote_name(column)
    with connections["default"].cursor() as cursor:
        cursor.execute(f"{head} ON CONFLICT ({quoted}) DO NOTHING{returning}{tail}", params)
        row = cursor.fetchone()
    if row is None:
        return model.objects.get(**lookup), False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = "default"
    return obj, True
