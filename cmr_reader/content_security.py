"""The Content-Security-Policy header: django-csp's middleware, with one exception for SVG.

The site's policy (settings.CONTENT_SECURITY_POLICY) allows no inline style. An SVG document
opened on its own (a plot from the analysis dashboard in a tab of its own) is styled by the
``<style>`` element and ``style`` attributes matplotlib writes, so SVG responses may style
themselves inline and, in exchange, run no script at all. Inside an ``<img>`` (as the dashboard
shows them) browsers ignore an SVG's own policy. See docs/decisions/0010.
"""

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase

SVG_DIRECTIVES = {"script-src": [NONE], "style-src": [SELF, UNSAFE_INLINE]}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if response.get("Content-Type", "").startswith("image/svg+xml"):
            parts.replace = {**(parts.replace or {}), **SVG_DIRECTIVES}
        return parts
