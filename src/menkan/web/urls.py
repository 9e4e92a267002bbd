"""URL routes: pages, the JSON API (/api/v1, OpenAPI at /api/docs), admin, language switch, health, static files."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from menkan.web.api import api
from menkan.web.health import healthz
from menkan.web.records import views as record_views
from menkan.web.static_serve import static_file

urlpatterns = [
    path("", record_views.home, name="home"),
    path("accounts/", include("menkan.web.accounts.urls")),
    path("students/", include("menkan.web.records.urls")),
    path("imports/", include("menkan.web.records.import_urls")),
    path("audits/", include("menkan.web.audits.urls")),
    path("activities/", include("menkan.web.activities.urls")),
    path("notices/", include("menkan.web.notices.urls")),
    path("reports/", include("menkan.web.reports.urls")),
    path("programs/", include("menkan.web.programs.urls")),
    path("microcredits/", include("menkan.web.microcredits.urls")),
    path("fees/", include("menkan.web.fees.urls")),
    path("certification/", include("menkan.web.certification.urls")),
    path("forecasts/", include("menkan.web.forecasts.urls")),
    path("plans/", include("menkan.web.plans.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
if settings.MENKAN_STATIC_FROM_FINDERS:
    # Static files through the URL conf, so the demo (`runserver --nostatic`) and the tests serve them the same way.
    # Production settings serve the collected, hashed files with WhiteNoise instead (docs/deploy.md).
    urlpatterns.append(path(f"{settings.STATIC_URL.lstrip('/')}<path:path>", static_file, name="static"))

# The portal's own error pages (menkan.web.error_pages), used whenever DEBUG is off.
handler400 = "menkan.web.error_pages.bad_request"
handler403 = "menkan.web.error_pages.permission_denied"
handler404 = "menkan.web.error_pages.page_not_found"
handler500 = "menkan.web.error_pages.server_error"
