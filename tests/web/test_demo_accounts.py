"""`menkan demo` prints each account it made with the institution it belongs to (issue 11, item 19)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from menkan.web.accounts.models import Role
from menkan.web.accounts.services import role_assign, user_create
from menkan.web.portal import demo_accounts_write
from menkan.web.records.models import Institution

pytestmark = pytest.mark.django_db


def test_each_printed_account_says_its_institution(db: Any) -> None:
    ncut = Institution.objects.create(code="ncut", name_zh="國立勤益科技大學", name_en="NCUT")
    nkust = Institution.objects.create(code="nkust", name_zh="國立高雄科技大學", name_en="NKUST")
    staff, _ = user_create("ncut-academic")
    role_assign(staff, Role.UNIT_STAFF, ncut.pk, unit="教務處")
    registrar, _ = user_create("registrar")
    for place in (ncut, nkust):
        role_assign(registrar, Role.REGISTRAR, place.pk)
    out = io.StringIO()
    demo_accounts_write([("ncut-academic", "unit-staff", "pw-1"), ("registrar", "registrar", "pw-2")], out)
    lines = out.getvalue().splitlines()
    assert lines[2].split() == ["account", "role", "institution", "password"]
    assert lines[3].split() == ["ncut-academic", "unit-staff", "ncut", "pw-1"]
    assert lines[4].split() == ["registrar", "registrar", "ncut,", "nkust", "pw-2"]
