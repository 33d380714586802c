"""A realistic sample board: a self-managing team of six running a clinic's software.

Every member gets a real identity and writes their own part (consents, check-ins, focus)
through their own service on the same store, exactly as six machines would after sync.
Dates are relative to today so the sample always has something due, overdue and ahead.
"""

from __future__ import annotations

from pathlib import Path

from board.service import BoardService, Clock
from board.workspace import Workspace
from sync.identity import Identity

TEAM = "Harbor Clinic Software"
PEOPLE = ["Ana", "Ben", "Chen", "Dara", "Eli", "Farah"]


def build_demo(home: Path, clock: Clock | None = None) -> Workspace:
    """Create the sample board in ``home`` (which must not hold a board) and open it as Ana.

    ``clock`` (default: the real time) is used by every member's service, so tests can make
    the sample's dates and timestamps reproducible."""
    ws = Workspace.init(home, TEAM, PEOPLE[0], clock=clock)
    ana = ws.service
    services: dict[str, BoardService] = {"Ana": ana}
    for name in PEOPLE[1:]:
        ident = Identity.generate()
        ana.add_member(ident.member_id, name, ident.cert_pem, invited_by=ana.me)
        services[name] = BoardService.open(
            ws.store, ident.actor, ident.member_id, ident.sign, clock
        )
    ben, chen, dara, eli, farah = (services[n] for n in PEOPLE[1:])
    ana.set_team_values(
        [
            "Patients first, then us, then the code",
            "Say what you will do; do what you said",
            "Every experiment ends with a learning",
        ]
    )

    ops = ana.add_stream(
        "Support & operations",
        kind="routine",
        purpose="Keep the clinic's systems running every day",
        members=["Ana", "Ben", "Eli"],
        customers=["Riverside Clinic"],
        suppliers=["CloudHost"],
    )
    billing = chen.add_stream(
        "Billing integration",
        kind="change",
        purpose="Replace paper invoices with PayBridge",
        members=["Chen", "Dara"],
        customers=["Riverside Clinic"],
        suppliers=["PayBridge"],
    )
    onboarding = dara.add_stream(
        "Patient onboarding redesign",
        kind="change",
        purpose="Halve the time a new patient needs to register",
        members=["Dara", "Farah", "Ana"],
        partners=["Design Guild"],
        customers=["Front desk staff"],
    )
    releases = eli.add_stream(
        "Releases & quality",
        kind="routine",
        purpose="Ship safely every two weeks",
        members=["Eli", "Ben"],
        customers=["Riverside Clinic"],
    )

    ana.add_role(
        "On-call lead",
        stream=ops,
        holders=["Ben"],
        accountabilities=["Answer pages within 15 minutes", "Write the incident note"],
    )
    eli.add_role(
        "Release steward",
        stream=releases,
        holders=["Eli"],
        accountabilities=["Cut the release branch", "Run the release checklist"],
    )
    ana.add_role(
        "Facilitator", holders=["Ana"], accountabilities=["Run the fortnightly board review"]
    )
    dara.add_role(
        "Research lead",
        stream=onboarding,
        holders=["Farah"],
        accountabilities=["Interview two patients a week"],
    )

    uptime = ana.add_goal(
        "Keep the booking system up",
        kind="routine",
        stream=ops,
        owners=["Ben", "Eli"],
        metric="uptime",
        start=99.1,
        target=99.9,
        unit="%",
        confidence=7,
        due="+30d",
    )
    tickets = ben.add_goal(
        "Answer support tickets within a day",
        kind="routine",
        stream=ops,
        owners=["Ben"],
        metric="tickets answered same day",
        start=70,
        target=95,
        unit="%",
        confidence=5,
        due="+14d",
    )
    invoices = chen.add_goal(
        "First invoices paid through PayBridge",
        kind="change",
        stream=billing,
        owners=["Chen", "Dara"],
        confidence=4,
        due="+21d",
        hypothesis="Clinics pay faster when invoices arrive by e-mail",
        next_step="Pilot with ten patients",
    )
    signup = dara.add_goal(
        "Registration in under 5 minutes",
        kind="change",
        stream=onboarding,
        owners=["Dara", "Farah"],
        metric="median minutes",
        start=12,
        target=5,
        unit=" min",
        confidence=6,
        due="+45d",
        hypothesis="A shorter form with photo ID upload halves registration time",
    )
    release = eli.add_goal(
        "Release every other Friday",
        kind="routine",
        stream=releases,
        owners=["Eli"],
        metric="releases on time",
        start=3,
        target=6,
        confidence=8,
    )

    c1 = ben.add_commitment(
        "Set up uptime alerts for the booking API", to="Ana", goal=uptime, due="-2d"
    )
    ana.set_status(c1, "accepted")
    c2 = chen.add_commitment(
        "Sign the PayBridge sandbox contract", to="PayBridge", goal=invoices, due="+5d"
    )
    chen.set_status(c2, "accepted")
    chen.set_status(c2, "in_progress")
    c3 = farah.add_commitment("Run five patient interviews", to="Dara", goal=signup, due="+7d")
    dara.set_status(c3, "accepted")
    farah.set_status(c3, "in_progress")
    c4 = eli.add_commitment("Write the release checklist", to=releases, goal=release, due="-10d")
    eli.set_status(c4, "accepted")
    eli.set_status(c4, "done")
    c5 = dara.add_commitment(
        "Mock up the one-page registration form", to="Front desk staff", goal=signup, due="+10d"
    )
    c6 = ana.add_commitment("Review the incident notes with Ben", to="Ben", due="+3d")
    ben.set_status(c6, "declined")
    c7 = ben.add_commitment(
        "Migrate ticket inbox to the new tool", to="Riverside Clinic", goal=tickets, due="+2d"
    )
    c8 = chen.add_commitment("Export last year's invoices for Dara", to="Dara", due="-1d")
    dara.set_status(c8, "accepted")
    chen.set_status(c8, "renegotiated")
    chen.edit(c8, due=ana.parse_date("+6d"))
    _ = (c5, c7)

    a1 = ana.add_agreement(
        "On-call handover every Monday",
        counterparts=["Ben", "Eli"],
        expectations="Handover note in the channel by 10:00, open incidents listed",
        cadence="monthly",
        review_on="-3d",
    )
    for svc in (ana, ben, eli):
        svc.consent(a1)
    a2 = dara.add_agreement(
        "Design decisions are written down",
        counterparts=["Farah", "Ana"],
        expectations="Every design decision gets a short note with the options weighed",
        cadence="fortnightly",
        review_on="+12d",
    )
    dara.consent(a2)
    farah.consent(a2)
    a3 = chen.add_agreement(
        "PayBridge status every Thursday",
        counterparts=["Dara"],
        expectations="Five lines: done, next, blocked, risk, ask",
        cadence="weekly",
        review_on="+7d",
    )
    for svc in (chen, dara):
        svc.consent(a3)
    eli.add_agreement(
        "Code review within one working day",
        counterparts=["Ben", "Chen", "Dara"],
        expectations="Reviews answered within a working day or handed on",
        cadence="quarterly",
        review_on="+60d",
    )

    ben.checkin(
        uptime,
        progress=60,
        confidence=7,
        note="Alerts cover 3 of 5 endpoints",
        learned="Synthetic checks catch DNS problems the health endpoint misses",
    )
    chen.checkin(
        invoices,
        progress=25,
        confidence=5,
        note="Sandbox access took a week",
        learned="Ask suppliers for sandbox access before the contract",
    )
    chen.checkin(invoices, progress=30, confidence=4, note="Webhook format differs from the docs")
    farah.checkin(
        signup,
        progress=40,
        confidence=6,
        note="Three interviews done",
        learned="Patients stall at the insurance number, not the form length",
    )
    eli.checkin(release, progress=50, confidence=8, note="3 of 6 releases on time")
    ben.checkin(c7, progress=20, confidence=5, note="Export from the old tool is slow")
    ana.checkin(
        a1,
        confidence=7,
        note="Two handovers missed during holidays",
        learned="A calendar reminder beats good intentions",
    )

    ana.set_focus(
        {
            "focus": [
                {
                    "text": "Facilitate reviews that end on time",
                    "tradeoff": "Fewer topics per review",
                }
            ],
            "challenge": [
                {
                    "text": "Why do we still page people at night for low-priority alerts?",
                    "tradeoff": "",
                }
            ],
            "avoid": [{"text": "Taking on billing work", "tradeoff": "Chen and Dara own it"}],
        }
    )
    ben.set_focus(
        {
            "focus": [{"text": "Ticket backlog under 20", "tradeoff": "No new tooling until then"}],
            "avoid": [{"text": "Weekend deploys", "tradeoff": "Slower hotfixes on Mondays"}],
        }
    )
    dara.set_focus(
        {
            "focus": [{"text": "Registration experiment", "tradeoff": "Billing gets half my time"}],
            "challenge": [{"text": "Is photo ID upload legal for minors?", "tradeoff": ""}],
        }
    )
    ws.service.refresh()
    return ws
