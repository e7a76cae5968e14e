"""Dark and light palettes on the Fusion style (the same look on every platform)."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QWidget

THEMES = ("system", "dark", "light")

_DARK = {
    QPalette.ColorRole.Window: "#1f1f23",
    QPalette.ColorRole.WindowText: "#e7e7ea",
    QPalette.ColorRole.Base: "#17171a",
    QPalette.ColorRole.AlternateBase: "#26262b",
    QPalette.ColorRole.ToolTipBase: "#2c2c31",
    QPalette.ColorRole.ToolTipText: "#e7e7ea",
    QPalette.ColorRole.PlaceholderText: "#8b8b94",
    QPalette.ColorRole.Text: "#e7e7ea",
    QPalette.ColorRole.Button: "#2a2a30",
    QPalette.ColorRole.ButtonText: "#e7e7ea",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Light: "#3a3a41",
    QPalette.ColorRole.Midlight: "#323238",
    QPalette.ColorRole.Mid: "#55555e",
    QPalette.ColorRole.Dark: "#141417",
    QPalette.ColorRole.Shadow: "#000000",
    QPalette.ColorRole.Highlight: "#2f5fb3",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#6ea8fe",
}

_LIGHT = {
    QPalette.ColorRole.Window: "#f3f3f5",
    QPalette.ColorRole.WindowText: "#1d1d21",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#f0f0f3",
    QPalette.ColorRole.ToolTipBase: "#ffffff",
    QPalette.ColorRole.ToolTipText: "#1d1d21",
    QPalette.ColorRole.PlaceholderText: "#8a8a93",
    QPalette.ColorRole.Text: "#1d1d21",
    QPalette.ColorRole.Button: "#e9e9ed",
    QPalette.ColorRole.ButtonText: "#1d1d21",
    QPalette.ColorRole.BrightText: "#c81e1e",
    QPalette.ColorRole.Light: "#ffffff",
    QPalette.ColorRole.Midlight: "#e4e4e8",
    QPalette.ColorRole.Mid: "#a4a4ad",
    QPalette.ColorRole.Dark: "#8e8e96",
    QPalette.ColorRole.Shadow: "#4a4a50",
    QPalette.ColorRole.Highlight: "#3b7be0",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#1f5fbf",
}


def palette_for(theme: str) -> QPalette:
    """The palette of ``theme``; "system" follows the platform's dark/light preference."""
    if theme == "system":
        hints = QGuiApplication.styleHints()
        dark = hints is not None and hints.colorScheme().name == "Dark"
        theme = "dark" if dark else "light"
    colours = _DARK if theme == "dark" else _LIGHT
    palette = QPalette()
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    disabled = QColor(colours[QPalette.ColorRole.Mid])
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


class _VisibleIndicators(QProxyStyle):
    """Fusion, with check boxes and radio buttons outlined in the palette's Mid colour: on the
    dark palette Fusion's own outline (the window colour, darker) is invisible."""

    _OUTLINED = (QStyle.PrimitiveElement.PE_IndicatorCheckBox, QStyle.PrimitiveElement.PE_IndicatorRadioButton)

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption, painter: QPainter, widget: QWidget | None = None) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element not in self._OUTLINED:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(option.palette.color(QPalette.ColorRole.Mid))
        painter.setBrush(QColor(0, 0, 0, 0))
        box = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
        if element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            painter.drawEllipse(box)
        else:
            painter.drawRoundedRect(box, 2, 2)
        painter.restore()


_style: QProxyStyle | None = None  # kept alive for the application's lifetime


def apply_theme(app: QApplication, theme: str) -> None:
    global _style
    if _style is None:
        _style = _VisibleIndicators("Fusion")
        app.setStyle(_style)
    app.setPalette(palette_for(theme))
