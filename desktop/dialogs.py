"""The window's own dialogs, saying what they do: the quit question and the folder picker.

Both are asked from a worker thread (a request thread, or the thread the close handler
starts) and wait for the answer; the dialog itself runs on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from core.folders import is_folder

log = logging.getLogger("hearth.desktop")

QUIT = "Quit"
KEEP_RUNNING = "Keep running"
PICK_FOLDER_TITLE = "Choose a folder"


def ask_to_quit(window, title: str, text: str, detail: str) -> bool:
    """Ask whether to quit, with the buttons "Quit" and "Keep running"; True to quit.

    On Qt that is a QMessageBox with those buttons and no icon (Escape keeps running, Enter
    quits: the user asked to quit). pywebview's own confirmation dialog has only OK and
    Cancel, so it is the fallback on the other backends.
    """
    native = getattr(window, "native", None)
    if native is not None and _is_qt_widget(native):
        return _ask_qt(native, title, text, detail)
    return bool(window.create_confirmation_dialog(title, f"{text}\n\n{detail}"))


def pick_folder(window, start: str | None = None) -> str | None:
    """The native folder picker; the chosen folder's absolute path, None if cancelled."""
    import webview

    directory = start if start and is_folder(Path(start)) else str(Path.home())
    chosen = window.create_file_dialog(webview.FileDialog.FOLDER, directory=directory)
    if not chosen:
        return None
    path = chosen[0] if isinstance(chosen, (list, tuple)) else chosen
    return str(Path(path).resolve()) if path else None


def _is_qt_widget(native) -> bool:
    try:
        from qtpy.QtWidgets import QWidget
    except Exception:
        return False
    return isinstance(native, QWidget)


def _ask_qt(parent, title: str, text: str, detail: str) -> bool:
    from qtpy.QtCore import QObject, Signal, Slot
    from qtpy.QtWidgets import QMessageBox

    answered = threading.Event()
    answer = {"quit": False}

    class Asker(QObject):
        asked = Signal()

        @Slot()
        def show(self) -> None:
            try:
                box = QMessageBox(parent)
                box.setWindowTitle(title)
                box.setIcon(QMessageBox.Icon.NoIcon)
                box.setText(text)
                box.setInformativeText(detail)
                # Without an icon Qt sizes the box to the shortest line: keep the sentence wide.
                box.setStyleSheet("QLabel { min-width: 22em; }")
                quit_button = box.addButton(f"&{QUIT}", QMessageBox.ButtonRole.AcceptRole)
                keep = box.addButton(f"&{KEEP_RUNNING}", QMessageBox.ButtonRole.RejectRole)
                box.setDefaultButton(quit_button)
                box.setEscapeButton(keep)
                box.exec()
                answer["quit"] = box.clickedButton() is quit_button
            except Exception:
                log.exception("could not ask whether to quit")
            finally:
                answered.set()

    # Made on this thread, then handed to the GUI thread: the signal is delivered there.
    asker = Asker()
    asker.moveToThread(parent.thread())
    asker.asked.connect(asker.show)
    asker.asked.emit()
    answered.wait()
    asker.deleteLater()
    return answer["quit"]
