"""In Chromium: text people must read has at least WCAG AA contrast (4.5:1) against what is
really behind it: the link-style buttons (Unfollow, Sign out) and the current stage's dates.
Both were measured at 1.06:1 and 1.29:1 before (issue 14)."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from consultations import services as consultations
from consultations.models import State
from notifications.services import subscription_follow
from tests.consultations.conftest import force_state, schedule_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The text colour, and the first ancestor's (or own) background that is not transparent.
CONTRAST = """el => {
  const rgb = s => s.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const b = rgb(getComputedStyle(node).backgroundColor);
    if (b.length < 4 || b[3] > 0) { bg = b; break; }
    node = node.parentElement;
  }
  bg = bg || [255, 255, 255];
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def sign_in_as(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def test_link_buttons_and_current_stage_dates_are_readable(page, live_server, org, make_user):
    clerk = make_user(Role.CLERK, org=org, email="clerk@example.com")
    c = consultations.consultation_create(organisation=org, actor=clerk, level="consult", title="แผนพัฒนาหมู่บ้าน 2566")
    consultations.consultation_schedule_set(consultation=c, actor=clerk, stages=schedule_for("consult"))
    c = force_state(c, State.INFORMING)
    resident = make_user(Role.RESIDENT, org=org)
    subscription_follow(user=resident, record=c)
    sign_in_as(page, live_server, resident)

    page.goto(reverse("notifications:preferences"))
    unfollow = page.locator("main button.link").first
    assert unfollow.evaluate(CONTRAST) >= 4.5
    assert unfollow.evaluate("el => getComputedStyle(el).textDecorationLine") == "underline"  # a link, not just coloured text
    assert page.locator("header.site button.link").evaluate(CONTRAST) >= 4.5  # Sign out, white on the brand bar

    page.goto(c.get_absolute_url())
    assert page.get_by_test_id("follow").get_by_role("button").evaluate(CONTRAST) >= 4.5  # Unfollow beside the title
    dates = page.locator(".where-steps li.where-current .where-dates")  # white on the brand fill
    assert dates.count() == 1
    assert dates.evaluate(CONTRAST) >= 4.5
