"""A consultation's schedule is written and shown in the Buddhist Era (issue 14, accounts/fields.py)."""

import datetime as dt
from zoneinfo import ZoneInfo

BKK = ZoneInfo("Asia/Bangkok")


def test_the_consultation_schedule_is_written_and_shown_in_the_buddhist_era(client, org, moderator):
    from consultations import services
    from consultations.models import Stage

    c = services.consultation_create(organisation=org, actor=moderator, title="แผนพัฒนา", level="consult")
    client.force_login(moderator)
    form = {"start": "1/1/2570 09:00", "end_informing": "10/1/2570 16:30", "end_deliberation": "20/1/2570 16:30"}
    client.post(f"/consultations/{c.pk}/schedule/", form)
    stages = {s.name: s for s in Stage.objects.filter(consultation=c)}
    assert stages["informing"].starts_at == dt.datetime(2027, 1, 1, 9, tzinfo=BKK)
    assert stages["deliberation"].ends_at == dt.datetime(2027, 1, 20, 16, 30, tzinfo=BKK)
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert 'id="sched-start" name="start" value="1/1/2570 09:00"' in page
    assert 'name="end_deliberation" value="20/1/2570 16:30"' in page and 'type="datetime-local"' not in page
