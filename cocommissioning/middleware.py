"""Response headers that depend on who is signed in."""

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class NoStoreWhenSignedInMiddleware:
    """A page shown to a signed-in person holds their organisation's proposals: no browser
    or proxy may keep a copy (`Cache-Control: no-store, private`), whatever the view set."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.headers.pop("Expires", None)
            cache_control = response.get("Cache-Control", "")
            if "public" in cache_control or "max-age" in cache_control:
                del response["Cache-Control"]
            patch_cache_control(response, no_store=True, private=True)
        return response
