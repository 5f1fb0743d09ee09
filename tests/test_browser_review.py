"""Review before publishing, in a real browser: a reporter submits a story, an editor
asks for changes from the desk, the reporter fixes it, the editor publishes it, and later
corrects it in public."""

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from news.models import Story
from tests.browser import chromium, screenshot
from tests.factories import EditorFactory, ReporterFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
HEADLINE = "Iraq Returns Syrian Soldiers Who Crossed at Al-Qaim"


@pytest.fixture
def browser():
    driver = chromium(width=1280)
    yield driver
    driver.quit()


def sign_in(browser, live_server, username):
    browser.delete_all_cookies()
    browser.get(live_server.url + "/admin/login/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "site-name")))


def click(browser, name):
    """Click a submit button and wait for the page the POST answers with (not a message
    list the old page may already show)."""
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.NAME, name).click()
    WebDriverWait(browser, 10).until(ec.staleness_of(page))
    return WebDriverWait(browser, 10).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".messagelist"))
    )


def test_a_story_goes_through_review_to_readers(live_server, browser):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    ReporterFactory(username="rami", first_name="Rami")
    EditorFactory(username="amira", first_name="Amira")

    # The reporter writes the story and submits it: there is no way for them to publish.
    sign_in(browser, live_server, "rami")
    screenshot(browser, "review-1-reporter-index")
    browser.get(live_server.url + "/admin/news/story/add/")
    browser.find_element(By.ID, "id_headline").send_keys(HEADLINE)
    browser.find_element(By.ID, "id_body").send_keys(
        "Iraq's military said on Thursday it had handed back 2,000 soldiers."
    )
    browser.find_element(By.ID, "id_review_note").send_keys("Ready for the desk.")
    assert not browser.find_elements(By.NAME, "_publish")
    screenshot(browser, "review-2-reporter-writes")
    click(browser, "_submit_for_review")
    story = Story.objects.get(headline=HEADLINE)
    assert story.status == Story.Status.IN_REVIEW

    # The editor finds it on the desk and sends it back with a note.
    sign_in(browser, live_server, "amira")
    screenshot(browser, "review-3-editor-index")
    browser.get(live_server.url + "/admin/desk/")
    review = browser.find_element(By.ID, "review").text
    assert HEADLINE in review
    assert "Ready for the desk." in review
    assert "Closed, awaiting resolution" in browser.find_element(By.ID, "awaiting").text
    screenshot(browser, "review-4-desk")
    browser.find_element(By.LINK_TEXT, HEADLINE).click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.NAME, "_publish")))
    assert (
        "Submitted for review: Ready for the desk."
        in browser.find_element(By.CSS_SELECTOR, ".review-status").text
    )
    browser.find_element(By.ID, "id_review_note").send_keys(
        "Iraq's statement says 1,905, not 2,000: fix the body and cite it."
    )
    screenshot(browser, "review-5-editor-reviews")
    click(browser, "_request_changes")
    story.refresh_from_db()
    assert story.status == Story.Status.DRAFT

    # The reporter sees why, fixes it and submits it again.
    sign_in(browser, live_server, "rami")
    browser.get(live_server.url + f"/admin/news/story/{story.pk}/change/")
    status = browser.find_element(By.CSS_SELECTOR, ".review-status").text
    assert "Changes requested: Iraq's statement says 1,905" in status
    screenshot(browser, "review-6-reporter-sees-the-request")
    body = browser.find_element(By.ID, "id_body")
    body.clear()
    body.send_keys("Iraq's military said on Thursday it had handed back 1,905 soldiers.")
    click(browser, "_submit_for_review")

    # The editor approves and publishes it; readers see it.
    sign_in(browser, live_server, "amira")
    browser.get(live_server.url + f"/admin/news/story/{story.pk}/change/")
    publish = browser.find_element(By.NAME, "_publish")
    assert publish.get_attribute("value") == "Approve and publish"
    click(browser, "_publish")
    screenshot(browser, "review-7-published")
    story.refresh_from_db()
    assert story.is_live
    browser.get(live_server.url + "/admin/desk/")
    assert "Approved and published" in browser.find_element(By.ID, "activity").text
    screenshot(browser, "review-8-desk-after")
    browser.get(live_server.url + story.get_absolute_url())
    assert "1,905 soldiers" in browser.find_element(By.TAG_NAME, "main").text

    # Live now: a change to its body asks whether it is a correction.
    browser.get(live_server.url + f"/admin/news/story/{story.pk}/change/")
    body = browser.find_element(By.ID, "id_body")
    body.clear()
    body.send_keys(
        "Iraq's military said on Thursday it had handed back 1,905 soldiers at Al-Qaim."
    )
    browser.find_element(By.CSS_SELECTOR, "input[name=change_kind][value=correction]").click()
    browser.find_element(By.ID, "id_correction_note").send_keys(
        "An earlier version did not say where the soldiers were handed back."
    )
    screenshot(browser, "review-9-editor-corrects")
    click(browser, "_save")
    browser.get(live_server.url + story.get_absolute_url())
    foot = browser.find_element(By.CSS_SELECTOR, ".story__corrections").text
    assert "An earlier version did not say where" in foot
    screenshot(browser, "review-10-reader-sees-the-correction")
    browser.get(live_server.url + "/admin/forecasts/question/")
    screenshot(browser, "review-11-question-list")
