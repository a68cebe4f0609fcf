"""Sessions from before the session cookie took its production name (__Host-sessionid)."""

from django.conf import settings

# The cookie's name until the __Host- prefix (Django's default).
LEGACY_SESSION_COOKIE = "sessionid"


def legacy_session_cookie(get_response):
    """A browser that brings only the old cookie keeps its session: the session it names
    is served, saved again under the new cookie, and the old cookie is deleted, so nobody
    is signed out and no visitor loses their ticks when the name changes. (It can go once
    SESSION_COOKIE_AGE has passed since the change.)"""

    def middleware(request):
        legacy = None
        if (
            settings.SESSION_COOKIE_NAME != LEGACY_SESSION_COOKIE
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        ):
            legacy = request.COOKIES.get(LEGACY_SESSION_COOKIE)
        if legacy:
            session = type(request.session)(legacy)
            if session.items():  # loaded: an unknown or expired key holds nothing
                session.modified = True  # saved, and its cookie set, under the new name
                request.session = session
        response = get_response(request)
        if legacy:
            response.delete_cookie(LEGACY_SESSION_COOKIE)
        return response

    return middleware
