"""Every reader page, at a laptop's and a phone's width, in light and dark: axe-core finds
no serious or critical accessibility violation, nothing scrolls sideways, and a
screenshot of each is saved (SCREENSHOT_DIR) for people to look at.

One browser per width, every page in turn. axe-core comes from npm (`make install` puts
it in .axe/ when npm is there; AXE_JS points elsewhere); without it these tests are
skipped, with the reason.
"""

import io
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image, ImageDraw

from forecasts import forecasting
from forecasts.models import ForecastSnapshot
from tests.browser import chromium, screenshot
from tests.factories import QuestionFactory, StoryFactory, StoryQuestionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

AXE_JS = Path(
    os.environ.get(
        "AXE_JS",
        Path(__file__).parent.parent / ".axe" / "node_modules" / "axe-core" / "axe.min.js",
    )
)
WIDTHS = [1280, 390]
SCHEMES = ["light", "dark"]
SERIOUS = {"serious", "critical"}


def picture(width, height, top, bottom):
    """A photograph-like gradient with a horizon: something for renditions to resize."""
    image = Image.new("RGB", (width, height), top)
    draw = ImageDraw.Draw(image)
    for row in range(height):
        mix = row / height
        colour = tuple(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, row), (width, row)], fill=colour)
    draw.rectangle([0, height * 2 // 3, width, height], fill=(92, 84, 70))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile("lead.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def newsroom(settings, tmp_path):
    """The demo newsroom, plus what it lacks: open questions with a forecast history,
    lead images, and a story in Arabic."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", stdout=io.StringIO())
    now = timezone.now()
    story = StoryFactory(
        headline="Iraq weighs reopening the Al-Qaim crossing to trade",
        slug="al-qaim-crossing-trade",
        summary="Border officials say lorries could cross again within weeks, if the "
        "security situation on the Syrian side holds.",
        body="Iraqi border officials said on Monday that the Al-Qaim crossing could reopen "
        "to commercial traffic within weeks.\n\nThe crossing has been closed to trade "
        "since December, when some 2,000 Syrian soldiers crossed there and surrendered.",
        dateline="Baghdad",
        image=picture(1600, 900, (120, 160, 200), (230, 205, 160)),
        image_alt="Lorries queue at a desert border crossing under a pale sky",
        image_caption="Lorries wait at the Al-Qaim crossing.",
        image_credit="Wire photo",
        published_at=now - timedelta(hours=2),
    )
    open_binary = QuestionFactory(
        title="Will the Al-Qaim crossing reopen to trade by March 31, 2027?",
        slug="al-qaim-reopens-to-trade",
        binary=True,
        opens_at=now - timedelta(days=6),
        closes_at=now + timedelta(days=3),
        resolution_criteria="Iraqi border authority statements",
    )
    open_multi = QuestionFactory(
        title="Which country will Syrian soldiers still in Iraq go to next?",
        slug="soldiers-next-country",
        options=["Syria", "Jordan", "Turkey", "A third country", "Stay in Iraq"],
        opens_at=now - timedelta(days=6),
        closes_at=now + timedelta(days=40),
    )
    StoryQuestionFactory(story=story, question=open_binary, position=0)
    StoryQuestionFactory(story=story, question=open_multi, position=1)
    readers = [UserFactory(username=f"reader{n}") for n in range(6)]
    yes, no = open_binary.options.all()
    multi = [o.pk for o in open_multi.options.all()]
    for day, reader in enumerate(readers):
        moment = now - timedelta(days=5 - day, hours=3)
        share = 0.35 + 0.07 * day
        forecasting.record_forecast(reader, open_binary.pk, {yes.pk: share, no.pk: 1 - share},
                                    now=moment)  # fmt: skip
        weights = [0.3 + 0.05 * day, 0.2, 0.2 - 0.02 * day, 0.15, 0.15 - 0.02 * day]
        total = sum(weights)
        forecasting.record_forecast(
            reader, open_multi.pk, {pk: w / total for pk, w in zip(multi, weights, strict=True)},
            now=moment,
        )  # fmt: skip
    assert ForecastSnapshot.objects.filter(question=open_binary).count() == 6
    arabic = StoryFactory(
        headline="ألفا جندي سوري يعبرون إلى العراق عند معبر القائم",
        slug="arabic-al-qaim",
        language="ar",
        summary="عبر نحو ألفي جندي سوري الحدود إلى العراق وسلموا أنفسهم للجيش العراقي.",
        body="قال مسؤولون عراقيون إن نحو ألفي جندي سوري عبروا معبر القائم الحدودي يوم السبت.",
        dateline="القائم",
        published_at=now - timedelta(hours=5),
    )
    arabic_question = QuestionFactory(
        title="ما السبب الرئيسي الذي سيذكره الجنود لعبورهم؟",
        slug="arabic-reason",
        language="ar",
        options=["الخوف من الميليشيات", "نقص الإمدادات", "أوامر القادة", "طلب اللجوء"],
        resolution_criteria="مقابلات أو بيانات رسمية",
        closes_at=now + timedelta(days=20),
    )
    StoryQuestionFactory(story=arabic, question=arabic_question, position=0)
    return {"story": story, "question": open_binary, "arabic": arabic}


def pages(newsroom):
    return {
        "home": "/",
        "story": "/stories/syrian-soldiers-cross-into-iraq-at-al-qaim/",
        "story-image": newsroom["story"].get_absolute_url(),
        "story-arabic": newsroom["arabic"].get_absolute_url(),
        "question": newsroom["question"].get_absolute_url(),
        "question-resolved": "/questions/al-qaim-soldiers-fate/",
        "questions": "/questions/",
        "topic": "/topics/conflict/",
        "search": "/search/?q=soldiers",
        "signup": "/accounts/signup/",
        "login": "/accounts/login/",
        "leaderboard": "/leaderboard/",
        "track-record": "/track-record/",
        "embed": f"/questions/{newsroom['question'].slug}/embed/",
    }


def set_scheme(browser, scheme):
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )


def serious_violations(browser, axe_source):
    browser.execute_script(axe_source)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations), e => done({error: String(e)}));"
    )
    assert not isinstance(result, dict), result
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_reader_page_passes_axe_at_laptop_and_phone_widths(live_server, newsroom, width):
    if not AXE_JS.exists():
        pytest.skip(
            f"axe-core not found at {AXE_JS}: `make install` fetches it when npm is there "
            "(npm install --prefix .axe axe-core), or set AXE_JS"
        )
    axe_source = AXE_JS.read_text()
    browser = chromium(width=width, height=900)
    failures = {}
    try:
        for name, path in pages(newsroom).items():
            browser.get(live_server.url + path)
            for scheme in SCHEMES:
                set_scheme(browser, scheme)
                found = serious_violations(browser, axe_source)
                if found:
                    failures[f"{name} ({scheme})"] = found
                overflow = "return document.documentElement.scrollWidth - window.innerWidth"
                if browser.execute_script(overflow) > 0:
                    failures[f"{name} ({scheme})"] = "scrolls sideways"
                screenshot(browser, f"{name}-{width}-{scheme}")
            set_scheme(browser, "light")
    finally:
        browser.quit()
    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)
