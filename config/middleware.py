from django.conf import settings


def permissions_policy(get_response):
    """Deny the browser features this site never uses (Django has no setting for it)."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware
