"""Close the loop (issue 14): everyone who took part in a consultation (raised or supported a
problem, commented, voted) hears its decision and each progress update, unless they unfollowed."""

from consultations import services
from consultations.models import State
from notifications.models import Notification
from notifications.relay import relay_pending
from notifications.services import subscription_unfollow
from workflows.services import transition

from .conftest import add_alternative, force_state


def test_every_participant_hears_the_decision_and_the_progress(make_consultation, residents, make_user, org, clerk, moderator):
    from accounts.models import Role

    author, supporter, commenter = residents
    voter, quitter = make_user(Role.RESIDENT, org=org), make_user(Role.RESIDENT, org=org)
    c = make_consultation("involve", State.PROBLEM_IDENTIFICATION)
    problem = services.problem_submit(consultation=c, actor=author, title="ถนนชำรุด")
    services.problem_support(problem=problem, actor=supporter)
    c = force_state(c, State.DELIBERATION)
    alternative = add_alternative(c)
    services.comment_post(consultation=c, actor=commenter, body="เห็นด้วย")
    for person in (voter, quitter):
        services.ballot_cast(consultation=c, actor=person, alternative_ids=[alternative.pk])
    subscription_unfollow(user=quitter, record=c)  # opted out
    c = force_state(c, State.DECIDING)
    services.decision_record(
        consultation=c, actor=clerk, chosen_ids=[alternative.pk], rationale="คุ้มค่าที่สุด", council_resolution="มติ 1/2569",
        alternative_answers={alternative.pk: "ทำ"}, problem_answers={problem.pk: "ซ่อมในโครงการนี้"},
    )  # fmt: skip
    c = transition(c, "decide", actor=clerk)
    c = transition(c, "start_implementation", actor=moderator)
    services.progress_update_post(consultation=c, actor=moderator, body="เริ่มก่อสร้างแล้ว", percent_complete=20)
    relay_pending()
    for event in ("consultation.decision_published", "consultation.progress_update"):
        told = set(Notification.objects.filter(event=event).values_list("user_id", flat=True))
        assert {author.pk, supporter.pk, commenter.pk, voter.pk} <= told, event
        assert quitter.pk not in told, event
