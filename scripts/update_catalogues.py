"""Keep the translation catalogues in step with the code and the templates.

    uv run python scripts/update_catalogues.py

1. extracts every marked string (babel.cfg: N_/Nn_/gettext/pgettext in registry/, {% trans %},
   _() and pgettext("context", …) in templates/) into registry/locale/messages.pot;
2. updates registry/locale/{zh_Hant,en}/LC_MESSAGES/messages.po from it (new msgids added,
   vanished ones dropped, translations kept);
3. fills every empty 繁體 msgstr by converting its msgid with OpenCC (s2twp: Taiwan's
   interface words, 列印, 預設), except that a service 窗口 stays 窗口, never a screen's 視窗.
   A msgstr that is already there is kept as it is, so hand corrections survive the next run.

English msgstrs are written by hand in en/LC_MESSAGES/messages.po; an empty one shows the
Chinese msgid (tests/test_i18n.py says which pages must be complete). The .po files are loaded
at start (registry/infra/i18n.py); no compiled .mo files are kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import opencc
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "registry" / "locale"
POT = LOCALE / "messages.pot"
# N_/Nn_ mark the code's strings; pgettext/npgettext (a context first: one msgid, two meanings)
# are Babel's defaults too, listed so the catalogue's contexts are plainly intended.
KEYWORDS = ["-k", "N_", "-k", "Nn_:1,2", "-k", "pgettext:1c,2", "-k", "npgettext:1c,2,3"]
s2t = opencc.OpenCC("s2twp")


def extract() -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"]
    command += [*KEYWORDS, "--no-location", "--omit-header", "--sort-output"]
    command += ["--ignore-dirs", ".*"]  # not the default "_*": templates/_macros, _partials
    command += ["-o", str(POT), "registry", "templates"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)


def traditional(message: str | tuple[str, ...]) -> str | tuple[str, ...]:
    if isinstance(message, tuple):
        return tuple(s2t.convert(m).replace("視窗", "窗口") for m in message)
    return s2t.convert(message).replace("視窗", "窗口")


def read_template() -> Catalog:
    """A fresh copy for each catalogue: Catalog.update shares the template's messages."""
    with POT.open("rb") as f:
        return read_po(f)


def update(folder: str, fill: bool) -> int:
    template = read_template()
    path = LOCALE / folder / "LC_MESSAGES" / "messages.po"
    if path.exists():
        with path.open("rb") as f:
            catalogue = read_po(f, locale=folder)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalogue = Catalog(locale=folder, project="registry", charset="utf-8")
    catalogue.update(template, no_fuzzy_matching=True)
    catalogue.obsolete.clear()
    filled = 0
    for message in catalogue:
        if not message.id:
            continue
        message.flags.discard("fuzzy")
        empty = not message.string or (
            isinstance(message.string, tuple) and not all(message.string)
        )
        if fill and empty:
            message.string = traditional(message.id)
            filled += 1
    with path.open("wb") as f:
        write_po(f, catalogue, width=0, omit_header=False, no_location=True, sort_output=True)
    return filled


def main() -> None:
    extract()
    print(f"{len(read_template())} msgids")
    print(f"zh_Hant: {update('zh_Hant', fill=True)} filled by OpenCC")
    update("en", fill=False)


if __name__ == "__main__":
    main()
