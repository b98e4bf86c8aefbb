"""Screenshots for the user guides, taken by the browser tests as they go.

Nothing is written unless ``CMR_SCREENSHOTS`` names a folder (``make screenshots`` sets it to
docs/guides/images). Each picture is the browser's viewport at GUIDE_WINDOW, reduced to a 256
colour palette (the pages are flat colours and grey images, so nothing visible is lost) and
saved optimised, to keep the repository small.
"""

import io
import os
from collections.abc import Callable
from pathlib import Path

GUIDE_WINDOW = (1280, 800)
# The guides' file-name suffix for each interface language.
SUFFIXES = {"en": "en", "zh-hans": "zh-Hans"}


def screenshot_folder() -> Path | None:
    folder = os.environ.get("CMR_SCREENSHOTS", "").strip()
    return Path(folder) if folder else None


class GuideCamera:
    """Takes the pictures of one journey through the site in one language."""

    def __init__(self, driver, *, journey: str, language: str):
        self.driver = driver
        self.journey = journey
        self.suffix = SUFFIXES[language]
        self.folder = screenshot_folder()
        self.taken: list[Path] = []
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)
            fit_viewport(driver, *GUIDE_WINDOW)

    def shoot(self, name: str, *, ready: Callable | None = None) -> None:
        """Saves ``<journey>-<name>.<language>.png`` when screenshots are asked for, once
        ``ready(driver)`` is true (such as every image of the viewer loaded)."""
        if not self.folder:
            return
        from PIL import Image
        from selenium.webdriver.support.ui import WebDriverWait

        if ready is not None:
            WebDriverWait(self.driver, 90).until(ready)

        self.driver.execute_script("window.scrollTo(0, 0)")
        image = Image.open(io.BytesIO(self.driver.get_screenshot_as_png())).convert("RGB")
        path = self.folder / f"{self.journey}-{name}.{self.suffix}.png"
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            path, optimize=True
        )
        self.taken.append(path)


def fit_viewport(driver, width: int, height: int) -> None:
    """Sizes the window so that the page's viewport (what a screenshot shows) is width x height."""
    driver.set_window_size(width, height)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])
