"""Mine henvisninger and Henvisning: the referrer's list, and a referral's timeline for everyone with access."""

from __future__ import annotations

from flask import abort, make_response, redirect, render_template, request, url_for

from referral_service.api.context import deps, unit_of_work
from referral_service.errors import NotFound
from referral_service.services.referrals import drafts as referral_service
from referral_service.services.referrals.page import referral_page
from referral_service.services.referrals.referrer_worklist import (
    STATUS_GROUPS,
    Tab,
    WorklistQuery,
    groups_of,
    referrer_worklist,
)
from referral_service.web.blueprint import web
from referral_service.web.paging import PER_PAGE, numbered_page
from referral_service.web.search import remember_posted_search, remembered_search
from referral_service.web.session_auth import login_required, web_actor
from referral_service.web.views.referrer_actions import referral_detail_page

#: The list's name for its search in the session (web/search.py).
WORKLIST = "henvisninger"
#: The list's query parameters and their values, as they read in the address: the tab, the order.
TABS = {"apne": Tab.OPEN, "avsluttede": Tab.FINISHED}
SORTS = {"nyeste": "created_at", "sendt-nyeste": "received_newest", "sendt-eldste": "received_oldest"}


def _list_arguments() -> dict[str, str]:
    """The filters asked for, as the page's links carry them on: only those that differ from the default."""
    chosen = {"fane": request.args.get("fane", ""), "status": request.args.get("status", ""),
              "hvem": request.args.get("hvem", ""), "sortering": request.args.get("sortering", "")}
    tab = TABS.get(chosen["fane"], Tab.OPEN)
    known = {"fane": chosen["fane"] in TABS and tab is not Tab.OPEN,
             "status": chosen["status"] in STATUS_GROUPS and STATUS_GROUPS[chosen["status"]].tab is tab,
             "hvem": chosen["hvem"] == "mine",
             "sortering": chosen["sortering"] in SORTS and chosen["sortering"] != "nyeste"}
    return {name: value for name, value in chosen.items() if known[name]}


@web.get("/henvisninger")
@login_required
def my_referrals():
    actor = web_actor()
    arguments = _list_arguments()
    search = remembered_search(WORKLIST)
    query = WorklistQuery(tab=TABS[arguments.get("fane", "apne")], group=arguments.get("status"),
                          only_mine="hvem" in arguments, sort=SORTS[arguments.get("sortering", "nyeste")],
                          search=search)
    worklist = referrer_worklist(unit_of_work(), deps().clock, actor=actor, query=query,
                                 wanted=numbered_page(PER_PAGE))
    return render_template("referrals/list.html", worklist=worklist, page=worklist.page, query=query,
                           arguments=arguments, search=search, groups=groups_of(query.tab))


@web.post("/henvisninger")
@login_required
def search_my_referrals():
    """The search is posted (a number never in the address) and kept in the session; then the list again."""
    remember_posted_search(WORKLIST)
    return redirect(url_for("web.my_referrals", **_list_arguments()), code=303)


@web.get("/henvisninger/<referral_id>")
@login_required
def referral_detail(referral_id: str):
    try:
        page = referral_page(unit_of_work(), actor=web_actor(), referral_id=referral_id,
                             window_months=deps().deadlines.repeat_window_months)
    except NotFound:
        abort(404)
    return referral_detail_page(page)


@web.post("/henvisninger/<referral_id>/vis-fodselsnummer")
@login_required
def reveal_national_id(referral_id: str):
    """The full number, on request, to the referring side and the clinic; logged, and never in a URL."""
    try:
        number = referral_service.reveal_national_id(unit_of_work(), deps().identity, actor=web_actor(),
                                                     referral_id=referral_id)
        page = referral_page(unit_of_work(), actor=web_actor(), referral_id=referral_id,
                             window_months=deps().deadlines.repeat_window_months)
    except NotFound:
        abort(404)
    response = make_response(referral_detail_page(page, revealed_national_id=number))
    response.headers["Cache-Control"] = "no-store"
    return response
