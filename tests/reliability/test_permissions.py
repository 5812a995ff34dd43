"""Every endpoint and admin page x every role: private things stay private, by any route.

The URL resolver is walked, so a new endpoint is checked without editing this file: its path
parameters are filled with the ids of Alice's private objects (id guessing), and what it answers
to someone else must not name them.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from analysis.choices import RunStatus
from catalog.models import Dataset
from ilincs_site.permissions import Role, is_curator, role_of
from tests.reliability.conftest import MARKERS

pytestmark = pytest.mark.django_db

OUTSIDERS = (Role.ANONYMOUS, Role.REGISTERED)
ALL_ROLES = (Role.ANONYMOUS, "owner", Role.REGISTERED, Role.CURATOR, Role.ADMIN)
CURATOR_ADMIN_APPS = {"catalog", "signatures", "collections_app"}
# The admin's own login, logout and password pages hold nothing private.
SITE_PAGES = tuple(
    f"admin/{page}" for page in ("r/", "login/", "logout/", "password_change/", "jsi18n/")
)
CHECKED: dict[str, int] = {"requests": 0}


def walk(patterns=None, prefix="", namespace=""):
    """(route text, view name with namespace, path parameter names) of every URL pattern."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern) and p.name:
            yield prefix + str(p.pattern), namespace + p.name, sorted(p.pattern.regex.groupindex)


def _guess(route: str, param: str, world) -> str:
    """The private object's id for ``param`` on ``route``: what an id-guesser would try."""
    r = route.replace("^", "")
    by_resource = {
        "datasets": world.private_dataset.accession,
        "signatures": world.private_signature.accession,
        "perturbagens": world.private_signature.perturbagen.accession,
        "collections": "reliability",
        "libraries": world.private_library.slug,
        "genesets": "no-such-gmt",
        "analyses": str(world.private_run.pk),
        "runs": str(world.private_run.pk),
        "my/collections": str(world.private_collection.pk),
    }
    if param in {"accession", "slug", "pk", "run_id"}:
        for prefix, value in sorted(by_resource.items(), key=lambda kv: -len(kv[0])):
            if re.search(rf"(^|/){re.escape(prefix)}/", r):
                return value
    return {
        "entrez_id": str(world.gene.entrez_id),
        "name": "scores",
        "format": "json",
        "token": world.private_collection.share_token,
        "uidb64": "MQ",
        "upload_id": str(world.private_upload.pk),
    }.get(param, str(world.private_run.pk))


def site_urls(world) -> list[str]:
    urls = set()
    for route, name, params in walk():
        if route.startswith("admin/") or "format" in params:
            continue
        urls.add(reverse(name, kwargs={p: _guess(route, p, world) for p in params}))
    searches = [
        "/search/?q=confidential",
        f"/search/?q={world.private_dataset.accession}",
        "/datasets/?q=confidential",
        "/signatures/?q=DRAFT",
        f"/signatures/?library={world.private_library.slug}",
        "/api/v1/datasets/?q=confidential",
        f"/api/v1/signatures/?library={world.private_library.slug}",
        "/api/v1/analyses/?kind=connectivity",
        f"/api/v1/analyses/{world.private_run.pk}/download/scores/",
    ]
    return sorted(urls | set(searches))


def client_for(world, role) -> Client:
    client = Client()
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    return client


def _secrets(world) -> tuple[str, ...]:
    return (
        *MARKERS,
        world.private_dataset.accession,
        world.private_library.slug,
        world.private_signature.accession,
    )


def _leaks(world, url: str, body: str) -> list[str]:
    """Secret texts in a response that did not come from the URL itself."""
    return [s for s in _secrets(world) if s in body and s not in url]


def _state(world) -> tuple:
    run = type(world.private_run).objects.get(pk=world.private_run.pk)
    return (
        run.status,
        type(run).objects.count(),
        Dataset.objects.filter(is_public=False).count(),
        world.private_library.__class__.objects.filter(is_public=False).count(),
    )


def test_the_roles_are_named_as_the_portal_defines_them(world):
    assert [role_of(world.users[r]) for r in ALL_ROLES] == [
        Role.ANONYMOUS,
        Role.REGISTERED,
        Role.REGISTERED,
        Role.CURATOR,
        Role.ADMIN,
    ]
    assert [is_curator(world.users[r]) for r in ALL_ROLES] == [False, False, False, True, True]


@pytest.mark.parametrize("role", OUTSIDERS)
def test_no_endpoint_shows_or_changes_private_things_for_outsiders(world, role):
    client = client_for(world, role)
    before = _state(world)
    problems = []
    for url in site_urls(world):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            CHECKED["requests"] += 1
            body = response.content.decode(errors="replace") if not response.streaming else ""
            if response.streaming:
                body = b"".join(response.streaming_content).decode(errors="replace")
            if response.status_code >= 500:
                problems.append(f"{method.upper()} {url}: {response.status_code}")
            leaked = _leaks(world, url, body)
            if leaked:
                problems.append(f"{method.upper()} {url} ({response.status_code}) shows {leaked}")
    assert not problems, "\n".join(problems)
    assert _state(world) == before


# (url factory, roles that see the private object) — the positive side of the matrix: the
# private objects exist and are reachable, so the outsiders' 404s above mean something.
PRIVATE_DETAILS = [
    (lambda w: f"/datasets/{w.private_dataset.accession}/", {"owner", Role.CURATOR, Role.ADMIN}),
    (
        lambda w: f"/api/v1/datasets/{w.private_dataset.accession}/",
        {"owner", Role.CURATOR, Role.ADMIN},
    ),
    (lambda w: f"/libraries/{w.private_library.slug}/", {Role.CURATOR, Role.ADMIN}),
    (lambda w: f"/api/v1/signatures/{w.private_signature.accession}/", {Role.CURATOR, Role.ADMIN}),
    (lambda w: f"/runs/{w.private_run.pk}/", {"owner", Role.CURATOR, Role.ADMIN}),
    (
        lambda w: f"/api/v1/analyses/{w.private_run.pk}/tables/scores/",
        {"owner", Role.CURATOR, Role.ADMIN},
    ),
    (
        lambda w: f"/api/v1/analyses/{w.private_run.pk}/download/scores/",
        {"owner", Role.CURATOR, Role.ADMIN},
    ),
    (lambda w: f"/my/collections/{w.private_collection.pk}/", {"owner"}),
]


@pytest.mark.parametrize("make_url, allowed", PRIVATE_DETAILS)
def test_a_private_detail_opens_for_its_owner_and_staff_only(world, make_url, allowed):
    url = make_url(world)
    for role in ALL_ROLES:
        response = client_for(world, role).get(url)
        CHECKED["requests"] += 1
        if role in allowed:
            assert response.status_code == 200, (role, url)
        else:
            assert response.status_code in {302, 403, 404}, (role, url, response.status_code)


def test_a_registered_user_cannot_cancel_or_rerun_someone_elses_run(world):
    client = client_for(world, Role.REGISTERED)
    run = world.private_run
    n_runs = type(run).objects.count()
    for url in (
        f"/api/v1/analyses/{run.pk}/cancel/",
        f"/api/v1/analyses/{run.pk}/rerun/",
        f"/runs/{run.pk}/cancel/",
        f"/runs/{run.pk}/again/",
    ):
        assert client.post(url).status_code in {403, 404}, url
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert type(run).objects.count() == n_runs


def _admin_urls(world) -> list[tuple[str, str]]:
    urls = []
    for route, name, params in walk():
        if not route.startswith("admin/") or "url" in params or route.startswith(SITE_PAGES):
            continue
        kwargs = {}
        app_label = route.split("/")[1]
        if params == ["app_label"]:
            kwargs = {"app_label": "catalog"}
            app_label = "catalog"
        elif params:
            match = re.match(r"admin/(\w+)/(\w+)/", route)
            model = apps.get_model(match[1], match[2])
            obj = model.objects.order_by("pk").first()
            kwargs = {p: str(obj.pk if obj else 1) for p in params}
        urls.append((reverse(name, kwargs=kwargs), app_label))
    return urls


def test_every_admin_page_answers_each_role_as_its_permissions_say(world):
    problems = []
    for role in ALL_ROLES:
        client = client_for(world, role)
        for url, app_label in _admin_urls(world):
            response = client.get(url)
            CHECKED["requests"] += 1
            code = response.status_code
            to_login = code == 302 and "/admin/login/" in response["Location"]
            if role in (Role.ANONYMOUS, "owner", Role.REGISTERED):
                ok = to_login
            elif role == Role.CURATOR and (app_label in CURATOR_ADMIN_APPS or not app_label):
                ok = code in {200, 302} and not to_login
            elif role == Role.CURATOR:  # no permission on users, tokens, queue tables
                ok = code == 403 or (code == 302 and not to_login and "/history/" in url)
            else:
                ok = code in {200, 302, 403} and not to_login  # 403: add/change disabled for all
            if not ok or code >= 500:
                problems.append(f"{role} GET {url}: {code}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role, published", [(Role.REGISTERED, False), (Role.CURATOR, True)])
def test_the_publish_admin_action_works_for_curators_only(world, role, published):
    client = client_for(world, role)
    dataset = world.private_dataset
    client.post(
        "/admin/catalog/dataset/",
        {"action": "publish", "_selected_action": [dataset.pk], "index": 0},
    )
    CHECKED["requests"] += 1
    dataset.refresh_from_db()
    assert dataset.is_public is published


def test_the_api_refuses_writes_to_the_catalogue_for_every_role(world):
    for role in ALL_ROLES:
        client = client_for(world, role)
        for url in (
            "/api/v1/datasets/",
            f"/api/v1/datasets/{world.public_dataset.accession}/",
            f"/api/v1/libraries/{world.public_library.slug}/",
        ):
            for method in ("post", "put", "patch", "delete"):
                response = getattr(client, method)(url, {}, content_type="application/json")
                CHECKED["requests"] += 1
                assert response.status_code in {401, 403, 405}, (role, method, url)
    assert Dataset.objects.count() == 2
