"""consultations.demo.seed: the Ban Song consultations, created through the services, once."""

from accounts.models import Role
from consultations import demo, rules, selectors
from consultations.models import Consultation, State
from workflows.models import AuditEntry


def test_it_seeds_the_ban_song_consultations_once(org, make_user, moderator, clerk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    villages = list(org.villages.all())
    residents = [make_user(Role.RESIDENT, org=org, village=villages[i % 5]) for i in range(6)]
    users = {"residents": residents, "resident": residents[0], "moderator": moderator, "clerk": clerk}
    demo.seed(org, users)
    demo.seed(org, users)
    levels = dict(Consultation.objects.values_list("level", "state"))
    assert levels == {"collaborate": State.IMPLEMENTING, "inform": State.CLOSED, "involve": State.PROBLEM_IDENTIFICATION}
    plan = Consultation.objects.get(level="collaborate")
    published = AuditEntry.objects.get(record_id=str(plan.pk), record_type="consultations.consultation", name="publish")
    assert published.created_at.year == 2021 and published.created_at.month == 10  # ตุลาคม 2564, as on the page's calendar
    record = selectors.participation_record(plan)
    assert record["participants"]["total"] == 5 and all(i["answer"] for i in record["inputs"] if not i.get("merged_into"))
    result = selectors.results(plan)  # the village meeting of หมู่ที่ 2 is in the result, apart from the 5 ballots
    assert result["ballots"] == 5 and result["meeting_attendance"] == 46
    assert sum(r["meeting_votes"] for r in result["alternatives"]) == 46 and sum(r["votes"] for r in result["alternatives"]) == 51
    open_now = Consultation.objects.get(level="involve")
    assert rules.can("submit_problem", residents[0], open_now)
