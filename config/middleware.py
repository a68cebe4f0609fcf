from django.conf import settings
from django.utils.cache import patch_cache_control


def permissions_policy(get_response):
    """Deny the browser features this site never uses (Django has no setting for it)."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware


def allauth_pages_private(get_response):
    """allauth's pages (email addresses, password change, log-in, sign-up) answer as the
    site's own account pages do (accounts/decorators.py): never kept by the browser or a
    cache on the way, so nobody reads them back after the learner has logged out."""

    def middleware(request):
        response = get_response(request)
        match = request.resolver_match
        if match is not None and match.func.__module__.startswith("allauth."):
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware
