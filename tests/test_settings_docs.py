"""Every setting is documented: the README's configuration table lists each field of bot.settings.Settings."""

from __future__ import annotations

from bot.settings import REPO_ROOT, Settings


def test_every_setting_has_a_readme_row_and_a_description():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert f"`MONOBOT_{name.upper()}`" in readme, f"README has no row for MONOBOT_{name.upper()}"
        assert field.description, f"Settings.{name} has no description"
