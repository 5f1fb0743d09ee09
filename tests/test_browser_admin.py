"""An editor publishes a story with a linked question, in a real browser."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from news.models import Story
from tests.browser import chromium, screenshot
from tests.factories import EditorFactory, QuestionFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def test_editor_publishes_a_story_with_a_linked_question(live_server, browser):
    EditorFactory(username="amira")
    question = QuestionFactory(
        title="Will Iraq close the Al-Qaim border crossing by June 30, 2025?", binary=True
    )
    wait = WebDriverWait(browser, 10)

    browser.get(live_server.url + "/admin/login/")
    browser.find_element(By.ID, "id_username").send_keys("amira")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "site-name")))
    screenshot(browser, "admin-index")

    browser.get(live_server.url + "/admin/news/story/add/")
    browser.find_element(By.ID, "id_headline").send_keys(
        "Iraq Hands 1,905 Syrian Soldiers Back to Syria at Al-Qaim"
    )
    # The slug is filled in from the headline as the editor types.
    assert browser.find_element(By.ID, "id_slug").get_attribute("value") == (
        "iraq-hands-1905-syrian-soldiers-back-to-syria-at-al-qaim"
    )
    browser.find_element(By.ID, "id_body").send_keys("Iraq's military said on Thursday...")
    Select(browser.find_element(By.ID, "id_status")).select_by_visible_text("Published")
    # The admin's "Today" and "Now" shortcuts set the publication time.
    browser.find_element(By.CSS_SELECTOR, ".field-published_at .datetimeshortcuts a").click()
    browser.find_elements(By.CSS_SELECTOR, ".field-published_at .datetimeshortcuts a")[1].click()

    # Link the question through its autocomplete.
    browser.find_element(By.CSS_SELECTOR, "#links-0 .select2-selection").click()
    search = wait.until(
        ec.visibility_of_element_located(
            (By.CSS_SELECTOR, ".select2-dropdown .select2-search__field")
        )
    )
    search.send_keys("Al-Qaim border")
    wait.until(
        ec.text_to_be_present_in_element(
            (By.CSS_SELECTOR, ".select2-dropdown .select2-results__option"),
            "Will Iraq close",
        )
    )
    browser.find_element(By.CSS_SELECTOR, ".select2-dropdown .select2-results__option").click()
    screenshot(browser, "admin-story-add")

    browser.find_element(By.NAME, "_save").click()
    message = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".messagelist .success"))
    )
    assert "was added successfully" in message.text
    screenshot(browser, "admin-story-list")

    story = Story.objects.get()
    assert story.is_live
    assert [link.question for link in story.links.all()] == [question]

    browser.get(live_server.url + story.get_absolute_url())
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Iraq Hands 1,905 Syrian Soldiers" in page
    assert "Will Iraq close the Al-Qaim border crossing" in page
    assert "50%" in page
    screenshot(browser, "story-published-from-admin")
