"""Accounts: the demo curator's password outside development, and login lockout."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import Client, RequestFactory

from ilincs_site.permissions import Role
from signatures.demo import CURATOR
from tests.reliability.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _load_curators() -> str:
    out = io.StringIO()
    call_command("load_demo", "--only", "curators", stdout=out)
    return out.getvalue()


def _authenticate(username: str, password: str):
    return authenticate(
        RequestFactory().post("/accounts/login/"), username=username, password=password
    )


def test_without_debug_the_demo_curator_gets_a_random_password_shown_once(settings):
    settings.DEBUG = False
    username, known = CURATOR
    first = _load_curators()
    password = re.search(r"password '([^']+)'", first).group(1)
    assert password != known and len(password) >= 20
    assert _authenticate(username, known) is None
    assert _authenticate(username, password).is_staff
    second = _load_curators()
    assert password not in second and "password" not in second
    assert _authenticate(username, password) is not None  # kept, not rotated again


def test_without_debug_a_curator_left_with_the_known_password_gets_a_new_one(settings):
    settings.DEBUG = True
    username, known = CURATOR
    assert "password" not in _load_curators()  # make run: unchanged, the README's password
    assert _authenticate(username, known) is not None
    settings.DEBUG = False
    assert "password '" in _load_curators()
    assert _authenticate(username, known) is None
    assert get_user_model().objects.get(username=username).is_staff


# --- login lockout (django-axes), site and admin -------------------------------------------

LOGINS = {"site": "/accounts/login/", "admin": "/admin/login/"}


def _login(client: Client, url: str, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("where", LOGINS)
def test_thirty_wrong_passwords_then_the_right_one_does_not_get_in(world, where):
    user = world.users[Role.ADMIN]  # staff, so the admin login would accept it
    client = Client()
    codes = {
        _login(client, LOGINS[where], user.username, f"guess-{i}").status_code for i in range(30)
    }
    assert 429 in codes
    response = _login(client, LOGINS[where], user.username, PASSWORD)
    assert response.status_code == 429
    assert "locked" in response.content.decode()
    assert not _signed_in(client)


def test_an_account_is_locked_whichever_clients_guess_at_it(world):
    user = world.users["owner"]
    for i in range(10):  # one guess from each of ten addresses
        _login(Client(), LOGINS["site"], user.username, f"guess-{i}", address=f"10.0.1.{i}")
    client = Client()
    assert _login(client, LOGINS["site"], user.username, PASSWORD, "10.0.2.1").status_code == 429
    assert not _signed_in(client)


def test_a_client_guessing_at_many_accounts_is_locked_out_of_all_of_them(world):
    for i in range(10):
        _login(Client(), LOGINS["site"], f"nobody-{i}", "guess", address="10.0.3.1")
    client = Client()
    response = _login(client, LOGINS["site"], world.users["owner"].username, PASSWORD, "10.0.3.1")
    assert response.status_code == 429 and not _signed_in(client)
    other = Client()  # another client is not affected
    _login(other, LOGINS["site"], world.users["owner"].username, PASSWORD, "10.0.3.2")
    assert _signed_in(other)


def test_a_few_mistakes_then_the_right_password_signs_in_and_resets_the_count(world):
    user = world.users["owner"]
    client = Client()
    for i in range(3):
        assert _login(client, LOGINS["site"], user.username, f"typo-{i}").status_code == 200
    _login(client, LOGINS["site"], user.username, PASSWORD)
    assert _signed_in(client)
