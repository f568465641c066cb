"""Activities over HTTP: create, update, complete, the list's filters, my agenda, and the
row scope: a SALES rep never sees another rep's activities, whatever the entry point
(docs/architecture.md#activities-plans-and-targets)."""

from __future__ import annotations

from datetime import timedelta

from tests.activities import support as a
from tests.orders.support import gid


async def test_create_update_complete_and_audit(api, factory):
    rep = factory.user("SALES")
    customer = factory.customer(owner_id=rep.id)
    made = await a.create(api, rep.token, a.customer_gid(customer), kind="VISIT",
                          title="拜访上海客户", notes="带样品")
    assert (made["kind"], made["status"], made["subjectType"]) == ("VISIT", "OPEN", "CUSTOMER")
    assert made["customer"]["id"] == a.customer_gid(customer)
    assert made["assignee"]["fullName"] is not None and made["overdue"] is False

    due = a.now() + timedelta(days=3)
    payload = (await api.ok(a.UPDATE, {"id": made["id"], "input": {
        "dueAt": a.iso(due), "title": "Visit Shanghai", "expectedVersion": 1}},
        rep.token))["activityUpdate"]
    assert payload["userErrors"] == [] and payload["activity"]["version"] == 2
    stale = (await api.ok(a.UPDATE, {"id": made["id"], "input": {
        "title": "x", "expectedVersion": 1}}, rep.token))["activityUpdate"]
    assert stale["userErrors"][0]["code"] == "CONFLICT"

    done = (await api.ok(a.COMPLETE, {"id": made["id"], "outcome": "签约意向强"},
                         rep.token))["activityComplete"]["activity"]
    assert (done["status"], done["outcome"]) == ("DONE", "签约意向强")
    assert done["completedAt"] is not None
    again = (await api.ok(a.COMPLETE, {"id": made["id"]}, rep.token))["activityComplete"]
    assert again["userErrors"][0]["code"] == "INVALID_TRANSITION"

    log = await api.ok("""query($id: ID) { auditLog(filter: {entityId: $id}, first: 10) {
      edges { node { action } } } }""", {"id": made["id"]}, factory.user("ADMIN").token)
    assert {e["node"]["action"] for e in log["auditLog"]["edges"]} == {
        "activity.create", "activity.update", "activity.complete"}


async def test_validation_subjects_and_assignees(api, factory):
    rep, other = factory.user("SALES"), factory.user("SALES")
    mine, theirs = factory.customer(owner_id=rep.id), factory.customer(owner_id=other.id)
    no_due = (await api.ok(a.CREATE, {"input": {"kind": "CALL", "subjectId": a.customer_gid(
        mine), "title": "call"}}, rep.token))["activityCreate"]
    assert no_due["userErrors"][0]["field"] == ["dueAt"]
    # a customer of another rep answers like a missing one
    answers = []
    for subject in (a.customer_gid(theirs), gid("Customer", 987654321)):
        payload = (await api.ok(a.CREATE, {"input": {
            "kind": "CALL", "subjectId": subject, "title": "x", "dueAt": a.iso(a.now())}},
            rep.token))["activityCreate"]
        answers.append(payload["userErrors"])
    assert answers[0] == answers[1] and answers[0][0]["code"] == "NOT_FOUND"
    # an empty subject id is a malformed one (the fuzz run found it answering
    # "Unexpected error")
    empty = (await api.ok(a.CREATE, {"input": {
        "kind": "MEETING", "subjectId": "", "title": "x", "dueAt": a.iso(a.now())}},
        rep.token))["activityCreate"]
    assert [(e["field"], e["code"]) for e in empty["userErrors"]] == [
        (["subjectId"], "INVALID")]
    # a lead is a generic (type, id) pair: no table needed here
    lead = await a.create(api, rep.token, gid("Lead", 42), kind="TASK", title="跟进线索")
    assert (lead["subjectType"], lead["subjectId"], lead["customer"]) == (
        "LEAD", gid("Lead", 42), None)
    # SALES work their own; a manager assigns anyone who may work activities
    foreign = (await api.ok(a.CREATE, {"input": {
        "kind": "CALL", "subjectId": a.customer_gid(mine), "title": "x",
        "dueAt": a.iso(a.now()), "assigneeId": other.gid}}, rep.token))["activityCreate"]
    assert foreign["userErrors"][0]["code"] == "FORBIDDEN"
    manager = factory.user("MANAGER")
    given = await a.create(api, manager.token, a.customer_gid(mine), assigneeId=rep.gid)
    assert given["assignee"]["fullName"] is not None
    warehouse = factory.user("WAREHOUSE")
    refused = (await api.ok(a.CREATE, {"input": {
        "kind": "CALL", "subjectId": a.customer_gid(mine), "title": "x",
        "dueAt": a.iso(a.now()), "assigneeId": warehouse.gid}}, manager.token))
    assert refused["activityCreate"]["userErrors"][0]["field"] == ["assigneeId"]


async def test_filters_and_agenda(api, factory):
    rep = factory.user("SALES")
    customer = factory.customer(owner_id=rep.id)
    subject = a.customer_gid(customer)
    late = await a.create(api, rep.token, subject, kind="CALL", title="late call",
                          due=a.now() - timedelta(hours=2))
    soon = await a.create(api, rep.token, subject, kind="VISIT", title="visit",
                          due=a.now() + timedelta(hours=5))
    later = await a.create(api, rep.token, subject, kind="TASK", title="task",
                           due=a.now() + timedelta(days=10))
    note = await a.create(api, rep.token, subject, kind="NOTE", title="note", dueAt=None)
    assert note["status"] == "DONE"

    async def ids(flt: dict) -> list[str]:
        data = await api.ok(a.LIST, {"filter": {"subjectId": subject, **flt}, "first": 50},
                            rep.token)
        return [e["node"]["id"] for e in data["activities"]["edges"]]

    assert await ids({"overdue": True}) == [late["id"]]
    assert await ids({"kind": ["VISIT", "TASK"]}) == [soon["id"], later["id"]]
    assert await ids({"status": ["DONE"]}) == [note["id"]]
    assert await ids({"dueAfter": a.iso(a.now()), "dueBefore": a.iso(
        a.now() + timedelta(days=1))}) == [soon["id"]]
    assert await ids({"assigneeId": rep.gid, "kind": ["CALL"]}) == [late["id"]]

    agenda = await api.ok(a.AGENDA, {"from": a.iso(a.now()), "to": a.iso(
        a.now() + timedelta(days=1))}, rep.token)
    titles = [e["node"]["title"] for e in agenda["myAgenda"]["edges"]]
    assert titles == ["late call", "visit"]  # the overdue one first, nothing beyond `to`


async def test_a_rep_never_sees_another_reps_activities(api, factory):
    rep, other, manager = factory.user("SALES"), factory.user("SALES"), factory.user("MANAGER")
    customer = factory.customer(owner_id=rep.id)
    # the manager gives the other rep work on this rep's customer
    foreign = await a.create(api, manager.token, a.customer_gid(customer), title="经理安排",
                             assigneeId=other.gid, due=a.now() - timedelta(hours=1))
    mine = await a.create(api, rep.token, a.customer_gid(customer), title="我的",
                          due=a.now() - timedelta(hours=1))
    missing = gid("Activity", 987654321)

    for query, variables in ((a.NODE, {"id": foreign["id"]}), (a.NODE, {"id": missing})):
        assert (await api.ok(query, variables, rep.token))["node"] is None
    single = "query($id: ID!) { activity(id: $id) { id } }"
    assert (await api.ok(single, {"id": foreign["id"]}, rep.token))["activity"] is None
    listed = await api.ok(a.LIST, {"filter": {"customerId": a.customer_gid(customer)}},
                          rep.token)
    assert [e["node"]["id"] for e in listed["activities"]["edges"]] == [mine["id"]]
    assert listed["activities"]["totalCount"] == 1
    timeline = await api.ok(a.TIMELINE, {"id": a.customer_gid(customer), "first": 50},
                            rep.token)
    entries = [e["node"] for e in timeline["customer"]["timeline"]["edges"]]
    assert [e["activity"]["id"] for e in entries if e["kind"] == "ACTIVITY"] == [mine["id"]]
    agenda = await api.ok(a.AGENDA, {"from": a.iso(a.now() - timedelta(days=1)),
                                     "to": a.iso(a.now() + timedelta(days=1))}, rep.token)
    assert [e["node"]["id"] for e in agenda["myAgenda"]["edges"]] == [mine["id"]]
    # writes: a foreign activity is NOT_FOUND, like a missing one
    answers = [(await api.ok(a.COMPLETE, {"id": i}, rep.token))["activityComplete"]
               ["userErrors"] for i in (foreign["id"], missing)]
    assert answers[0] == answers[1] and answers[0][0]["code"] == "NOT_FOUND"
    # an empty subject id is a malformed one (the fuzz run found it answering
    # "Unexpected error")
    empty = (await api.ok(a.CREATE, {"input": {
        "kind": "MEETING", "subjectId": "", "title": "x", "dueAt": a.iso(a.now())}},
        rep.token))["activityCreate"]
    assert [(e["field"], e["code"]) for e in empty["userErrors"]] == [
        (["subjectId"], "INVALID")]
    # the other rep sees its activity, but not the customer it does not own
    theirs = (await api.ok(a.NODE, {"id": foreign["id"]}, other.token))["node"]
    assert theirs["id"] == foreign["id"] and theirs["customer"] is None
    # the manager sees both
    team = await api.ok(a.LIST, {"filter": {"customerId": a.customer_gid(customer)}},
                        manager.token)
    assert {e["node"]["id"] for e in team["activities"]["edges"]} == {foreign["id"],
                                                                      mine["id"]}


async def test_roles_analyst_masked_customer_refused(api, factory):
    rep = factory.user("SALES")
    customer = factory.customer(owner_id=rep.id)
    made = await a.create(api, rep.token, a.customer_gid(customer), notes="王经理 13812345678")
    analyst = factory.user("ANALYST")
    seen = (await api.ok(a.NODE, {"id": made["id"]}, analyst.token))["node"]
    assert (seen["notes"], seen["title"]) == ("***", made["title"])
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    body = await api.gql(a.LIST, {}, buyer.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await api.ok(a.NODE, {"id": made["id"]}, buyer.token))["node"] is None
    refused = await api.gql(a.CREATE, {"input": {"kind": "CALL", "subjectId": made["id"],
                                                 "title": "x"}}, analyst.token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_activity_list_runs_a_fixed_number_of_statements(api, factory, db):
    manager = factory.user("MANAGER")
    reps = [factory.user("SALES") for _ in range(3)]
    customer = factory.customer(owner_id=reps[0].id)
    for i in range(24):
        await a.create(api, manager.token, a.customer_gid(customer), title=f"t{i}",
                       assigneeId=reps[i % 3].gid)
    counts = {}
    for first in (4, 24):
        db.counter.reset()
        data = await api.ok(a.LIST, {"filter": {"customerId": a.customer_gid(customer)},
                                     "first": first}, manager.token)
        counts[first] = db.counter.count
        assert len(data["activities"]["edges"]) == first
    # the page, its total, the assignees, the customers
    assert counts[4] == counts[24] <= 4, counts
