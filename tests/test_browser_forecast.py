"""A reader signs up, forecasts, sees the percentages move, and changes their mind."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import chromium, screenshot
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def percents(browser):
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".option__percent")]


def fill(browser, values):
    for field, value in zip(
        browser.find_elements(By.CSS_SELECTOR, ".forecast__input"), values, strict=True
    ):
        field.clear()
        field.send_keys(value)


def submit(browser, wait):
    """Send the forecast form and wait for the page it leads to (not the old page's
    message: the page before may carry one too)."""
    button = browser.find_element(By.CSS_SELECTOR, ".forecast button[type=submit]")
    button.click()
    wait.until(ec.staleness_of(button))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".message--success")))


def test_reader_signs_up_forecasts_and_changes_the_forecast(live_server):
    question = QuestionFactory(title="Will Iraq close the Al-Qaim crossing?", binary=True)
    browser = chromium(width=1280, height=900)
    wait = WebDriverWait(browser, 10)
    try:
        browser.get(live_server.url + question.get_absolute_url())
        assert percents(browser) == ["50%", "50%"]
        browser.find_element(By.LINK_TEXT, "sign up").click()
        browser.find_element(By.ID, "id_username").send_keys("amira")
        browser.find_element(By.ID, "id_email").send_keys("amira@example.com")
        browser.find_element(By.ID, "id_password1").send_keys("a long passphrase 2026")
        browser.find_element(By.ID, "id_password2").send_keys("a long passphrase 2026")
        browser.find_element(By.CSS_SELECTOR, ".account button[type=submit]").click()

        # Back on the question, with a form that starts from the community's 50/50.
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".forecast__form")))
        total = browser.find_element(By.ID, "forecast-total")
        assert total.text == "100.0%"
        fill(browser, ["70", "20"])
        assert total.text.startswith("90.0%")  # the total follows the typing
        screenshot(browser, "forecast-typing")
        fill(browser, ["70", "30"])
        assert total.text == "100.0%"
        submit(browser, wait)
        # The pooled community forecast of one reader's 70/30: odds 7:3 extremized by 1.5.
        assert percents(browser) == ["78%", "22%"]
        assert "1 forecaster" in browser.find_element(By.CSS_SELECTOR, ".question__state").text
        screenshot(browser, "forecast-saved")

        fill(browser, ["25", "75"])
        submit(browser, wait)
        assert percents(browser) == ["16%", "84%"]  # 1:3 extremized
        assert "1 forecaster" in browser.find_element(By.CSS_SELECTOR, ".question__state").text
        screenshot(browser, "forecast-changed")
    finally:
        browser.quit()
