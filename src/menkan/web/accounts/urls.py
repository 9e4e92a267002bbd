"""Account routes."""

from django.urls import path

from menkan.web.accounts import oidc, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password-change"),
    # campus sign-in (OpenID Connect): 404 unless the site configures it (docs/sign-in.md)
    path("oidc/start/", oidc.CampusSignInView.as_view(), name="oidc-start"),
    path("oidc/callback/", oidc.CampusCallbackView.as_view(), name="oidc-callback"),
]
