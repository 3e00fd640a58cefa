"""A small crawler over Django's test client: every link and GET form of the pages it reaches,
every POST form recorded (for the staff write checks), problems collected rather than raised.

A problem is a 5xx, an exception while rendering (the crawl's settings make an invalid template
variable raise), a link that answers 404 (or 403: the page offered it to this user), a page that
is not served as HTML with a charset, or an export that is not CSV/PDF.
"""

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.test import Client

SKIP_PREFIXES = ("/admin/", "/accounts/logout/", "/portal/signout/", "/portal/signin/")
SAMPLE_TEXT = {"date": "2026-01-15", "number": "1", "email": "ana@example.com"}


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]]  # default values, as a browser would submit them
    choices: dict[str, list[str]]  # select name -> every option value
    texts: dict[str, str]  # text-like input name -> its type
    page: str


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.assets: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag in ("link", "script", "img") and (a.get("href") or a.get("src")):
            self.assets.append(a.get("href") or a.get("src"))
        elif tag == "form":
            self._form = {
                "method": (a.get("method") or "get").lower(),
                "action": a.get("action") or "",
                "fields": [],
                "choices": {},
                "texts": {},
            }
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form["fields"].append((a["name"], a.get("value", "on")))
                self._form["choices"].setdefault(a["name"], []).append(a.get("value", "on"))
            elif kind not in ("submit", "button", "reset", "file", "image"):
                self._form["fields"].append((a["name"], a.get("value", "")))
                if kind != "hidden":
                    self._form["texts"][a["name"]] = kind
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["choices"][self._select] = []
            self._form["fields"].append((self._select, ""))
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._form["choices"][self._select].append(value)
            if "selected" in a:
                self._form["fields"] = [
                    (k, value if k == self._select else v) for k, v in self._form["fields"]
                ]
        elif tag == "textarea" and a.get("name"):
            self._form["fields"].append((a["name"], ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


@dataclass
class Crawler:
    client: Client
    label: str
    problems: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    visited: dict[str, int] = field(default_factory=dict)
    post_forms: dict[str, Form] = field(default_factory=dict)
    shapes: dict[tuple, int] = field(default_factory=dict)
    assets_seen: set[str] = field(default_factory=set)
    forms_expanded: set[tuple] = field(default_factory=set)
    max_visits: int = 1500
    max_per_shape: int = 3
    skip: tuple[str, ...] = SKIP_PREFIXES

    def problem(self, text: str) -> None:
        self.problems.append(f"[{self.label}] {text}")

    def _normal(self, href: str, base: str) -> str | None:
        if href.startswith(("mailto:", "tel:", "javascript:", "#")):
            return None
        url = urljoin("http://testserver" + base, href)
        parts = urlsplit(url)
        if parts.netloc != "testserver":
            return None  # outside the console (e.g. the processor's page in production)
        if parts.path.startswith(self.skip):
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _admit(self, url: str, *, capped: bool) -> bool:
        if url in self.seen:
            return False
        if capped:
            parts = urlsplit(url)
            keys = tuple(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))
            # object pages are all visited; query-string variants of a page a few per shape
            shape = (re.sub(r"/\d+/", "/N/", parts.path), keys) if keys else None
            if shape is not None:
                if self.shapes.get(shape, 0) >= self.max_per_shape:
                    return False
                self.shapes[shape] = self.shapes.get(shape, 0) + 1
        self.seen.add(url)
        return True

    def get(self, url: str, referrer: str = ""):
        try:
            response = self.client.get(url)
        except Exception as exc:
            self.problem(f"GET {url} (from {referrer or 'start'}) raised {exc!r}")
            return None
        self.visited[url] = response.status_code
        return response

    def crawl(self, starts: list[str]) -> None:
        queue: deque[tuple[str, str]] = deque()
        for start in starts:
            if self._admit(start, capped=False):
                queue.append((start, ""))
        while queue:
            if len(self.visited) >= self.max_visits:
                self.problem(f"more than {self.max_visits} pages: the crawl stopped")
                return
            url, referrer = queue.popleft()
            response = self.get(url, referrer)
            if response is None:
                continue
            status = response.status_code
            where = f"{url} (linked from {referrer or 'start'})"
            if status >= 500:
                self.problem(f"{status} on {where}")
                continue
            if status in (301, 302, 303):
                target = self._normal(response["Location"], url)
                if target and self._admit(target, capped=False):
                    queue.append((target, url))
                continue
            if status in (403, 404, 405):
                self.problem(f"dead link: {status} on {where}")
                continue
            content_type = response.get("Content-Type", "")
            if url.split("?")[0].endswith(".csv") or "text/csv" in content_type:
                body = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                if "text/csv" not in content_type or "charset=utf-8" not in content_type.lower():
                    self.problem(f"export {url} is served as {content_type!r}")
                if not body.strip():
                    self.problem(f"export {url} is empty")
                continue
            if "application/pdf" in content_type:
                if not response.content.startswith(b"%PDF"):
                    self.problem(f"{url} is not a PDF")
                continue
            if "application/json" in content_type:
                continue
            if "text/html" not in content_type:
                self.problem(f"{url} served as {content_type!r}")
                continue
            for next_url, capped in self._discover(url, response.content.decode()):
                if self._admit(next_url, capped=capped):
                    queue.append((next_url, url))

    def _discover(self, url: str, html: str):
        parser = _Parser()
        parser.feed(html)
        for asset in parser.assets:
            target = self._normal(asset, url)
            if target and target not in self.assets_seen:
                self.assets_seen.add(target)
                if target.startswith("/static/"):
                    served = self.client.get(target)
                    if served.status_code != 200:
                        self.problem(f"asset {target} on {url}: {served.status_code}")
                    if hasattr(served, "close"):
                        served.close()
        for href in parser.links:
            target = self._normal(href, url)
            if target:
                yield target, True
        for raw in parser.forms:
            action = self._normal(raw["action"], url) if raw["action"] else url.split("?")[0]
            if action is None:
                continue
            form = Form(
                method=raw["method"],
                action=action,
                fields=raw["fields"],
                choices=raw["choices"],
                texts=raw["texts"],
                page=url,
            )
            if form.method == "post":
                self.post_forms.setdefault(f"{action} {sorted(dict(form.fields))}", form)
                continue
            key = (action.split("?")[0], tuple(sorted({k for k, _ in form.fields})))
            if key not in self.forms_expanded:  # once per form: its filters, one at a time
                self.forms_expanded.add(key)
                yield from ((v, False) for v in self.filter_variants(form))

    @staticmethod
    def filter_variants(form: Form):
        """The form as submitted, then each choice of each select on its own, then each text
        field with a sample value: every filter is tried once."""
        base = [(k, v) for k, v in form.fields if k != "page"]
        path = form.action.split("?")[0]

        def url(pairs):
            return f"{path}?{urlencode(pairs)}"

        yield url(base)
        for name, values in form.choices.items():
            for value in values:
                yield url([(k, v) for k, v in base if k != name] + [(name, value)])
        for name, kind in form.texts.items():
            sample = SAMPLE_TEXT.get(kind, "a")
            yield url([(k, sample if k == name else v) for k, v in base])
