"""What an uploaded file is, read from its bytes (never from its name alone), for every upload of the portal."""

from __future__ import annotations

import zipfile
from typing import IO

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Each kind of file the portal accepts somewhere: the names it may carry and what people call it.
KINDS: dict[str, tuple[frozenset[str], str | Promise]] = {
    "pdf": (frozenset({".pdf"}), "PDF"),
    "png": (frozenset({".png"}), "PNG"),
    "jpeg": (frozenset({".jpg", ".jpeg"}), "JPEG"),
    "docx": (frozenset({".docx"}), "Word (.docx)"),
    "xlsx": (frozenset({".xlsx"}), "Excel (.xlsx)"),
    "pptx": (frozenset({".pptx"}), "PowerPoint (.pptx)"),
    "odf": (frozenset({".odt", ".ods", ".odp"}), "OpenDocument"),
    "ole": (frozenset({".doc", ".xls", ".ppt"}), "Office 97-2003"),
    "zip": (frozenset({".zip"}), "ZIP"),
    "text": (frozenset({".txt", ".md"}), gettext_lazy("plain text")),
    "csv": (frozenset({".csv"}), "CSV"),
    "yaml": (frozenset({".yaml", ".yml"}), "YAML"),
}
# The member that makes a ZIP an Office Open XML document of each kind.
_OOXML_MEMBERS = (("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"), ("ppt/presentation.xml", "pptx"))
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A text file that is really markup a browser would run (HTML, SVG, XML) is not text here.
_MARKUP_STARTS = (b"<",)
_SNIFF_BYTES = 4096
# Kinds whose content is another kind's (a CSV file is text).
_CONTENT_OF = {"csv": "text", "yaml": "text"}


class UploadRefused(ValueError):
    """An upload whose content is not what the page accepts: the message (translated) says why."""


def _zip_kind(data: IO[bytes]) -> str:
    try:
        with zipfile.ZipFile(data) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").startswith(b"application/vnd.oasis.opendocument"):
                return "odf"
    except (zipfile.BadZipFile, OSError, ValueError):
        return ""
    for member, kind in _OOXML_MEMBERS:
        if "[Content_Types].xml" in names and member in names:
            return kind
    return "zip"


def _decodes(head: bytes, encoding: str) -> str | None:
    try:
        return head.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the end of the sample
            return None
        return head[: exc.start].decode(encoding)


def _is_text(head: bytes) -> bool:
    """Text in UTF-8 or Big5 (CSV files from Excel in Taiwan), and not markup a browser would run."""
    if b"\x00" in head:
        return False
    text = _decodes(head, "utf-8")
    if text is None:
        text = _decodes(head, "cp950")
    return text is not None and not text.lstrip("\ufeff \t\r\n").encode().startswith(_MARKUP_STARTS)


def content_kind(data: IO[bytes]) -> str:
    """The kind the bytes of `data` are (a key of KINDS; "text" for any text), or "" when none of them; the file
    is read from and rewound."""
    data.seek(0)
    head = data.read(_SNIFF_BYTES)
    data.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            return "pdf"
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return "png"
        if head.startswith(b"\xff\xd8\xff"):
            return "jpeg"
        if head.startswith(_OLE_MAGIC):
            return "ole"
        if head.startswith(b"PK\x03\x04"):
            return _zip_kind(data)
        return "text" if head and _is_text(head) else ""
    finally:
        data.seek(0)


def _suffix(name: str) -> str:
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower()
    return base[base.rfind(".") :] if "." in base else ""


def upload_check(file: IO[bytes], name: str, kinds: tuple[str, ...], max_bytes: int | None = None) -> str:
    """The kind of an uploaded file, which must be one of `kinds` by its content AND carry a name of that kind
    (an HTML page named .pdf, or a PNG named .pdf, is refused): UploadRefused with the reason otherwise."""
    accepted = ", ".join(str(KINDS[kind][1]) for kind in kinds)
    size = getattr(file, "size", None)
    if max_bytes is not None and size is not None and size > max_bytes:
        raise UploadRefused(_("The file is larger than %(mb)s MB.") % {"mb": max(1, max_bytes // (1024 * 1024))})
    suffix = _suffix(name)
    claimed = next((kind for kind in kinds if suffix in KINDS[kind][0]), None)
    if claimed is None:
        raise UploadRefused(_("This kind of file is not accepted: upload %(kinds)s.") % {"kinds": accepted})
    found = content_kind(file)
    if found != _CONTENT_OF.get(claimed, claimed):
        raise UploadRefused(
            _("%(name)s is not a real %(kind)s file (its content was checked, not only its name): upload %(kinds)s.")
            % {"name": name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1], "kind": str(KINDS[claimed][1]), "kinds": accepted}
        )
    return claimed
