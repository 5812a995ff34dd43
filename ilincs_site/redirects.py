"""Redirects back to the page a form came from, only ever to this site."""

from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_back(request, fallback: str):
    """To the ``Referer`` when it is a page of this site, else to ``fallback`` (a URL or name).

    The header is the client's to set: a link on another site (or a forged header) must not
    turn a form's error into a redirect elsewhere.
    """
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(referer)
    return redirect(fallback)
