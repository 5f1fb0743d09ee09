"""A reader opens the demo's home, story and question pages on a laptop and a phone."""

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By

from tests.browser import chromium, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

STORY = "/stories/syrian-soldiers-cross-into-iraq-at-al-qaim/"
QUESTION = "/questions/al-qaim-soldiers-fate/"


@pytest.fixture
def demo():
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.mark.parametrize("width", [1280, 375])
def test_reader_sees_the_demo_on_laptop_and_phone(live_server, demo, width):
    browser = chromium(width=width, height=900)
    try:
        browser.get(live_server.url + "/")
        main = browser.find_element(By.TAG_NAME, "main")
        assert "Latest stories" in main.text
        assert "Iraq Hands 1,905 Syrian Soldiers Back to Syria at Al-Qaim" in main.text
        assert "Recently resolved" in main.text
        # Nothing is wider than the screen: no sideways scrolling on a phone.
        overflow = "return document.documentElement.scrollWidth - window.innerWidth"
        assert browser.execute_script(overflow) <= 0
        screenshot(browser, f"browser-home-{width}")

        browser.get(live_server.url + STORY)
        main = browser.find_element(By.TAG_NAME, "main").text
        assert "Dec 7, 2024, 02:48 PM" in main
        assert "View original story" in main
        featured = browser.find_element(By.CSS_SELECTOR, ".question-card--featured").text
        assert "Predominant reason cited by Syrian soldiers" in featured
        assert featured.count("25%") == 4
        assert "Reports from interviews or official statements" in featured
        assert browser.execute_script(overflow) <= 0
        screenshot(browser, f"browser-story-{width}")

        browser.get(live_server.url + QUESTION)
        main = browser.find_element(By.TAG_NAME, "main").text
        assert "Resolved: Returned to Syria" in main
        assert browser.find_element(By.CSS_SELECTOR, "svg.chart").is_displayed()
        assert browser.execute_script(overflow) <= 0
        screenshot(browser, f"browser-question-{width}")
    finally:
        browser.quit()
