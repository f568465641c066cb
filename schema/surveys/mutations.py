"""`surveyAnswer`: public, the token is the credential (app/surveys/links.py)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.surveys import service
from schema.core.errors import UserError
from schema.core.writes import run_write
from schema.surveys.inputs import SurveyAnswerInput, answer_from
from schema.surveys.queries import TOKEN
from schema.surveys.types import SurveyForm


@strawberry.type
class SurveyAnswerPayload:
    survey: SurveyForm | None = strawberry.field(default=None, description="The survey, "
                                                 "ANSWERED.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SurveyMutation:
    @strawberry.mutation(description="Answer a survey by its link (no sign-in). A link "
                         "answers once: a second answer is CONFLICT, an expired or forged "
                         "link INVALID_TOKEN, and neither changes anything.")
    async def survey_answer(self, info: strawberry.Info,
                            token: Annotated[str, strawberry.argument(description=TOKEN)],
                            input: SurveyAnswerInput) -> SurveyAnswerPayload:
        row, errors = await run_write(info, service.answer_survey, token[:2048],
                                      answer_from(input))
        if row is None:
            return SurveyAnswerPayload(user_errors=errors)
        form = service.SurveyForm(service.status_of(row, row.answered_at), row.subject_kind,
                                  None, row.language, row.expires_at, None)
        return SurveyAnswerPayload(survey=SurveyForm.from_form(form))
