"""The written notice to the person and to their attorney or designee, in HTML and PDF, English and Spanish.

What it says follows Cal. Gov. Code 7283.1 (TRUTH Act) as DOMAIN.md summarises it: on a hold, notification or
transfer request the person gets a copy of the request and is told whether the agency intends to comply; when
ICE is told a release date, the same notification goes in writing to the person and to their attorney or one
designated person. The wording is plain statements of what the decision says; it gives no legal advice.
(The subsection and the exact statutory wording are to be checked by county counsel before use in CA.)

Why the texts live here rather than in gettext catalogues: the letter is a legal document whose two languages
are reviewed side by side; keeping both in one table makes a missing or stale translation visible.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string

from handoff.core import clock
from handoff.notices.models import LETTER_KINDS, Notice, NoticeKind
from handoff.policy.registry import setting_in_force

LANGUAGES = ("en", "es")

_MONTHS_ES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
              "noviembre", "diciembre"]

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Notice of an immigration request",
        "title_request_copy": "Copy of an immigration request and whether the jail will comply",
        "title_release_notice": "Notice of the release date given to immigration authorities",
        "which_request_copy": "Which notice this is: the copy of the request and the statement of whether the "
                              "jail intends to comply with it ({cite}).",
        "which_release_individual": "Which notice this is: the written notice of the release date the jail gives "
                                    "ICE ({cite}).",
        "which_release_attorney": "Which notice this is: the written notice, to the attorney or designee, of the "
                                  "release date the jail gives ICE ({cite}).",
        "which_request_individual": "Which notice this is: the notice to you of the request ({cite}).",
        "which_request_attorney": "Which notice this is: the notice of the request, to the attorney or designee "
                                  "({cite}).",
        "review_individual": "Whether the jail will comply with this request is being reviewed by a supervisor. "
                             "You will be given a new notice once it is decided.",
        "review_attorney": "Whether the jail will comply with this request is being reviewed by a supervisor. "
                           "A new notice will follow once it is decided.",
        "to_individual": "To: {name}, date of birth {dob}, booking {booking}",
        "to_attorney": "To: the attorney or designee of {name}, date of birth {dob}, booking {booking}",
        "intro_individual": "On {received}, {facility} received {kind} from {office} of U.S. Immigration and "
                            "Customs Enforcement (ICE) about you (request number {request_id}{form}).",
        "intro_attorney": "On {received}, {facility} received {kind} from {office} of U.S. Immigration and "
                          "Customs Enforcement (ICE) about {name} (request number {request_id}{form}).",
        "copy": "A copy of the request is to be given with this notice. Ask the jail staff for it if it is missing.",
        "kind_detainer": "an immigration detainer (a request to hold and to be notified before release)",
        "kind_notification": "a request to be notified before release",
        "kind_transfer": "a request to transfer custody",
        "notify_yes_individual": "The jail intends to comply with ICE's request to be notified before you are "
                                 "released.",
        "notify_no_individual": "The jail does not intend to comply with ICE's request to be notified before you "
                                "are released.",
        "notify_yes_attorney": "The jail intends to comply with ICE's request to be notified before {name} is "
                               "released.",
        "notify_no_attorney": "The jail does not intend to comply with ICE's request to be notified before {name} "
                              "is released.",
        "hold_prohibited_individual": "The jail will not keep you in custody past your release time because of "
                                      "this request.",
        "hold_required_individual": "The jail will keep you in custody for up to 48 hours past your release "
                                    "time, as the request asks.",
        "hold_permitted_individual": "The law allows the jail to keep you in custody past your release time at "
                                     "ICE's request.",
        "hold_prohibited_attorney": "The jail will not keep {name} in custody past the release time because of "
                                    "this request.",
        "hold_required_attorney": "The jail will keep {name} in custody for up to 48 hours past the release "
                                  "time, as the request asks.",
        "hold_permitted_attorney": "The law allows the jail to keep {name} in custody past the release time at "
                                   "ICE's request.",
        "transfer_permitted_individual": "The jail may transfer you to ICE custody when you are released.",
        "transfer_prohibited_individual": "The jail will not transfer you to ICE custody because of this request.",
        "transfer_permitted_attorney": "The jail may transfer {name} to ICE custody at release.",
        "transfer_prohibited_attorney": "The jail will not transfer {name} to ICE custody because of this request.",
        "release_individual": "The jail has told, or will tell, ICE that you are scheduled to be released on "
                              "{date} at {time} ({tz}).",
        "release_attorney": "The jail has told, or will tell, ICE that {name} is scheduled to be released on "
                            "{date} at {time} ({tz}).",
        "basis_ca": "This notice is given under California Government Code section 7283.1 (TRUTH Act).",
        "basis_other": "This notice is given under the policy in force for this jail ({policies}).",
        "footer": "Issued {issued}. Notice {uid}.",
        "handover": "Handed over on ____________ by ____________ to ____________",
    },
    "es": {
        "title": "Aviso sobre una solicitud de inmigración",
        "title_request_copy": "Copia de una solicitud de inmigración y si la cárcel la cumplirá",
        "title_release_notice": "Aviso de la fecha de liberación comunicada a las autoridades de inmigración",
        "which_request_copy": "Qué aviso es este: la copia de la solicitud y la declaración de si la cárcel tiene "
                              "la intención de cumplirla ({cite}).",
        "which_release_individual": "Qué aviso es este: el aviso por escrito de la fecha de liberación que la "
                                    "cárcel comunica a ICE ({cite}).",
        "which_release_attorney": "Qué aviso es este: el aviso por escrito, para el abogado o la persona "
                                  "designada, de la fecha de liberación que la cárcel comunica a ICE ({cite}).",
        "which_request_individual": "Qué aviso es este: el aviso a usted de la solicitud ({cite}).",
        "which_request_attorney": "Qué aviso es este: el aviso de la solicitud, para el abogado o la persona "
                                  "designada ({cite}).",
        "review_individual": "Un supervisor está revisando si la cárcel cumplirá con esta solicitud. Usted "
                             "recibirá un nuevo aviso cuando se decida.",
        "review_attorney": "Un supervisor está revisando si la cárcel cumplirá con esta solicitud. Se enviará un "
                           "nuevo aviso cuando se decida.",
        "to_individual": "Para: {name}, fecha de nacimiento {dob}, registro {booking}",
        "to_attorney": "Para: el abogado o la persona designada por {name}, fecha de nacimiento {dob}, "
                       "registro {booking}",
        "intro_individual": "El {received}, {facility} recibió {kind} de {office} del Servicio de Inmigración y "
                            "Control de Aduanas de los Estados Unidos (ICE) sobre usted (número de solicitud "
                            "{request_id}{form}).",
        "intro_attorney": "El {received}, {facility} recibió {kind} de {office} del Servicio de Inmigración y "
                          "Control de Aduanas de los Estados Unidos (ICE) sobre {name} (número de solicitud "
                          "{request_id}{form}).",
        "copy": "Con este aviso se debe entregar una copia de la solicitud. Si falta, pídala al personal de la "
                "cárcel.",
        "kind_detainer": "una orden de retención migratoria (una solicitud de retener y de ser notificado antes "
                         "de la liberación)",
        "kind_notification": "una solicitud de ser notificado antes de la liberación",
        "kind_transfer": "una solicitud de traslado de custodia",
        "notify_yes_individual": "La cárcel tiene la intención de cumplir con la solicitud de ICE de ser "
                                 "notificado antes de que usted sea puesto en libertad.",
        "notify_no_individual": "La cárcel no tiene la intención de cumplir con la solicitud de ICE de ser "
                                "notificado antes de que usted sea puesto en libertad.",
        "notify_yes_attorney": "La cárcel tiene la intención de cumplir con la solicitud de ICE de ser notificado "
                               "antes de la liberación de {name}.",
        "notify_no_attorney": "La cárcel no tiene la intención de cumplir con la solicitud de ICE de ser "
                              "notificado antes de la liberación de {name}.",
        "hold_prohibited_individual": "La cárcel no prolongará su custodia más allá de la hora de su liberación "
                                      "a causa de esta solicitud.",
        "hold_required_individual": "La cárcel prolongará su custodia hasta 48 horas más allá de la hora de su "
                                    "liberación, como pide la solicitud.",
        "hold_permitted_individual": "La ley permite que la cárcel prolongue su custodia más allá de la hora de "
                                     "su liberación a pedido de ICE.",
        "hold_prohibited_attorney": "La cárcel no prolongará la custodia de {name} más allá de la hora de su "
                                    "liberación a causa de esta solicitud.",
        "hold_required_attorney": "La cárcel prolongará la custodia de {name} hasta 48 horas más allá de la hora "
                                  "de su liberación, como pide la solicitud.",
        "hold_permitted_attorney": "La ley permite que la cárcel prolongue la custodia de {name} más allá de la "
                                   "hora de su liberación a pedido de ICE.",
        "transfer_permitted_individual": "La cárcel puede entregarle a la custodia de ICE cuando usted sea puesto "
                                         "en libertad.",
        "transfer_prohibited_individual": "La cárcel no le entregará a la custodia de ICE a causa de esta "
                                          "solicitud.",
        "transfer_permitted_attorney": "La cárcel puede entregar a {name} a la custodia de ICE en el momento de "
                                       "su liberación.",
        "transfer_prohibited_attorney": "La cárcel no entregará a {name} a la custodia de ICE a causa de esta "
                                        "solicitud.",
        "release_individual": "La cárcel ha informado, o informará, a ICE que su liberación está programada para "
                              "el {date} a las {time} ({tz}).",
        "release_attorney": "La cárcel ha informado, o informará, a ICE que la liberación de {name} está "
                            "programada para el {date} a las {time} ({tz}).",
        "basis_ca": "Este aviso se entrega conforme a la sección 7283.1 del Código de Gobierno de California "
                    "(Ley TRUTH).",
        "basis_other": "Este aviso se entrega conforme a la política vigente para esta cárcel ({policies}).",
        "footer": "Emitido el {issued}. Aviso {uid}.",
        "handover": "Entregado el ____________ por ____________ a ____________",
    },
}


def _date(value: datetime, lang: str) -> str:
    if lang == "es":
        return f"{value.day} de {_MONTHS_ES[value.month - 1]} de {value.year}"
    return value.strftime("%B %-d, %Y")


def _cites(notice: Notice) -> tuple[str, str]:
    """The law behind the request copy and behind the release-date notice, from the policies the decision
    consulted (settings `request_copy_cite`, `release_notice_cite`); "" where none names one."""
    d = notice.decision
    if d is None:
        return "", ""
    policies, at = d.policies or [], d.evaluated_at
    return (str(setting_in_force(policies, at, "request_copy_cite") or ""),
            str(setting_in_force(policies, at, "release_notice_cite") or ""))


def context(notice: Notice, lang: str) -> dict[str, Any]:
    """The letter's words. Each letter says which notice it is (issue 9 item 4): the copy of the request
    (Cal. Gov. Code 7283.1(b), first sentence), the release-date notice (its second sentence), or, where no
    request copy is owed, the notice of the request the policy names."""
    if lang not in LANGUAGES:
        raise ValueError(f"letters are written in {', '.join(LANGUAGES)}, not {lang!r}")
    if notice.kind not in LETTER_KINDS and notice.kind != NoticeKind.EMAIL_ATTORNEY:
        raise ValueError("only letters have a letter")
    t = TEXT[lang]
    # the e-mail to the attorney or designee says what their letter says
    who = "attorney" if notice.kind in (NoticeKind.LETTER_ATTORNEY, NoticeKind.EMAIL_ATTORNEY) else "individual"
    req = notice.request
    booking = notice.booking or req.booking
    facility = req.facility
    tz = clock.zone(facility.timezone)
    person = booking.person if booking is not None else None
    name = (f"{person.first_name} {person.last_name}" if person is not None
            else f"{req.subject_first_name} {req.subject_last_name}").strip()
    dob_value = person.date_of_birth if person is not None else req.subject_date_of_birth
    dob = _date(datetime(dob_value.year, dob_value.month, dob_value.day), lang) if dob_value else "-"
    received = req.received_at.astimezone(tz)
    fields = {
        "name": name, "dob": dob, "booking": booking.booking_number if booking else req.booking_number or "-",
        "received": _date(received, lang), "facility": facility.name, "office": req.office.name,
        "request_id": req.request_id, "form": f", {req.form}" if req.form else "",
        "kind": t.get(f"kind_{req.kind}", req.kind), "uid": str(notice.uid),
        "issued": _date(clock.now().astimezone(tz), lang),
    }
    d = notice.decision
    copy_cite, release_cite = _cites(notice)
    policies = [str(p) for p in (d.policies or [])] if d is not None else []
    if notice.kind == NoticeKind.LETTER_REQUEST_COPY:
        title, which = t["title_request_copy"], t["which_request_copy"].format(cite=copy_cite or "-")
    elif copy_cite:  # where a request copy is owed, these letters are the release-date notice
        title = t["title_release_notice"]
        which = t[f"which_release_{who}"].format(cite=release_cite or copy_cite)
    else:
        title = t["title"]
        which = t[f"which_request_{who}"].format(cite=", ".join(policies) or "-")
    paragraphs = [which, t[f"intro_{who}"].format(**fields), t["copy"]]
    if d is not None and d.review:
        paragraphs.append(t[f"review_{who}"])
    elif d is not None:
        paragraphs.append(t[f"notify_{'yes' if d.notify else 'no'}_{who}"].format(**fields))
        if req.kind == "detainer" and f"hold_{d.hold}_{who}" in t:
            paragraphs.append(t[f"hold_{d.hold}_{who}"].format(**fields))
        if f"transfer_{d.transfer}_{who}" in t:
            paragraphs.append(t[f"transfer_{d.transfer}_{who}"].format(**fields))
        if d.notify and notice.release_at is not None and notice.kind != NoticeKind.LETTER_REQUEST_COPY:
            local = notice.release_at.astimezone(tz)
            paragraphs.append(t[f"release_{who}"].format(date=_date(local, lang), time=local.strftime("%H:%M"),
                                                         tz=local.tzname() or facility.timezone, **fields))
    if d is not None:
        if any(p.startswith("us-ca") for p in policies):
            paragraphs.append(t["basis_ca"])
        else:
            paragraphs.append(t["basis_other"].format(policies=", ".join(policies) or "-"))
    return {
        "lang": lang, "title": title, "to": t[f"to_{who}"].format(**fields), "paragraphs": paragraphs,
        "footer": t["footer"].format(**fields), "handover": t["handover"], "facility": facility.name,
    }


def render_html(notice: Notice, lang: str = "en", *, for_pdf: bool = False) -> str:
    return render_to_string("notices/letters/letter.html", {**context(notice, lang), "for_pdf": for_pdf})


def render_pdf(notice: Notice, lang: str = "en") -> bytes:
    from xhtml2pdf import pisa

    out = io.BytesIO()
    result = pisa.CreatePDF(render_html(notice, lang, for_pdf=True), dest=out, encoding="utf-8")
    if result.err:
        raise RuntimeError(f"the letter could not be rendered as PDF ({result.err} errors)")
    return out.getvalue()
