"""Accounts: the demo curator's password outside development, and login lockout."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory

from signatures.demo import CURATOR

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
