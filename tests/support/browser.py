"""What the browser test modules share beside their fixtures (tests/browser/conftest.py): where
Chromium is, signing in, and a urllib opener that carries the browser's session."""
from __future__ import annotations

import http.cookiejar
import os
import urllib.request

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def chromium_missing() -> bool:
    return not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER))


def sign_in(driver, worker, username: str) -> None:
    """Sign in as one of the users the worker was started with (`start_worker`)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(worker.url("/logout"))
    driver.get(worker.url("/login"))
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(worker.users[username][0])
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)


def session_opener(driver) -> urllib.request.OpenerDirector:
    """Requests outside the browser with its session cookie (to forge callbacks, fetch pages)."""
    jar = http.cookiejar.CookieJar()
    for c in driver.get_cookies():
        jar.set_cookie(http.cookiejar.Cookie(0, c["name"], c["value"], None, False, "127.0.0.1", False, False, "/",
                                             True, False, None, False, None, None, {}))
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
