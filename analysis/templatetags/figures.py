"""Bokeh figures on a page under the Content-Security-Policy."""

import re

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def bokeh_script(context, script: str):
    """Bokeh's ``components()`` script with the page's CSP nonce on each ``<script>`` tag, so
    that the browser runs it (the policy allows no other inline script). The script is
    Bokeh's own output, rendered as is, like ``|safe`` did before."""
    lazy = getattr(getattr(context, "request", None), "csp_nonce", None)
    if not script or lazy is None:
        return mark_safe(script or "")
    nonce = str(lazy)  # evaluating it puts the nonce in the response's header
    return mark_safe(re.sub(r"<script\b", f'<script nonce="{nonce}"', script))
