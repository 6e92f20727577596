"""Form fields for the wizard: one widget per field of the settings schema, with its inline error."""

from __future__ import annotations

import html
from typing import Any, Callable

import ipywidgets as w

from .. import payloads

LABEL_STYLE = {"description_width": "11em"}
WIDE = w.Layout(width="38em")


class Field:
    """A setting's widget (from its schema field: type, enum, title, help) and the line that shows what is
    wrong with the value."""

    def __init__(self, key: str, field: payloads.SettingField, value: Any, on_change: Callable[[], None]) -> None:
        self.key = key
        self.when: dict[str, Any] = field.get("x-when", {})
        common = {"description": field["title"], "tooltip": field["description"], "style": LABEL_STYLE}
        if field["type"] == "boolean":
            self.input = w.Checkbox(value=bool(value), indent=True, **common)
        elif "enum" in field:
            self.input = w.Dropdown(options=list(field["enum"]), value=value, layout=WIDE, **common)
        else:
            self.input = w.Text(
                value=str(value), placeholder=field["description"], layout=WIDE, continuous_update=True, **common
            )
        self.error = w.HTML()
        self.box = w.VBox([self.input, self.error])
        self.input.observe(lambda _change: on_change(), names="value")

    def show(self, visible: bool) -> None:
        """A field whose ``x-when`` does not hold is hidden (and its value is not applied)."""
        self.box.layout.display = None if visible else "none"

    @property
    def visible(self) -> bool:
        return self.box.layout.display != "none"

    @property
    def value(self) -> Any:
        return self.input.value

    @value.setter
    def value(self, new: Any) -> None:
        self.input.value = new

    def show_error(self, message: str | None) -> None:
        self.error.value = (
            f'<span style="color:#cf222e;margin-left:11.5em">{html.escape(message)}</span>' if message else ""
        )

    @property
    def error_text(self) -> str:
        return self.error.value


class SecretField:
    """A password input (the value never leaves the widget except into the job that uses it)."""

    def __init__(self, label: str, help: str, on_change: Callable[[], None] | None = None) -> None:
        self.input = w.Password(description=label, placeholder=help, tooltip=help, style=LABEL_STYLE, layout=WIDE)
        self.error = w.HTML()
        self.box = w.VBox([self.input, self.error])
        if on_change is not None:
            self.input.observe(lambda _change: on_change(), names="value")

    def take(self) -> str:
        """The value, cleared from the widget (so no saved widget state or later display holds it)."""
        value, self.input.value = self.input.value, ""
        return value

    def show_error(self, message: str | None) -> None:
        self.error.value = (
            f'<span style="color:#cf222e;margin-left:11.5em">{html.escape(message)}</span>' if message else ""
        )


def note(text: str) -> w.HTML:
    return w.HTML(f'<div style="color:#57606a;margin:0.3em 0">{text}</div>')
