"""The browser tests' shared Chromium: Debian's headless chromium and chromedriver (never a download)."""
from __future__ import annotations

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--window-size=1366,900"):
        opts.add_argument(a)
    opts.binary_location = CHROMIUM
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)  # explicit path: no selenium-manager
    d.set_page_load_timeout(60)
    yield d
    d.quit()
