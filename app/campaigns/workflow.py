"""The campaign state machine: DRAFT -> SCHEDULED -> SENDING -> DONE, cancellable while
SCHEDULED or SENDING (docs/architecture.md#campaigns)."""

from __future__ import annotations

from app.campaigns.models import CampaignStatus
from app.errors import InvalidTransition

S = CampaignStatus
# the actions a person takes, and the states each is allowed from; SCHEDULED -> SENDING
# and SENDING -> DONE are the sender's (app/campaigns/service.py send_step)
ALLOWED = {
    "update": {S.DRAFT},
    "schedule": {S.DRAFT},
    "cancel": {S.SCHEDULED, S.SENDING},
}


def allowed(status: str, action: str) -> bool:
    return status in ALLOWED[action]


def authorize_move(status: str, action: str) -> None:
    if not allowed(status, action):
        raise InvalidTransition("campaign", status, action)
