"""The whole journey in a real browser: a provider uploads evidence (watching the progress bar)
and claims a level, the client team reviews and agrees it, the board confirms it and records a
reward citing a clause, and the track shows its new level with the target met. The board pack
downloads as a PDF that parses and a workbook that opens."""

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from contracts.roles import Role
from tests.e2e.conftest import axe_violations, sign_in
from tests.evidence import files
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH_PROGRESS = """() => {
    const box = document.querySelector('[data-upload-progress]');
    const text = box.querySelector('[data-upload-progress-text]');
    new MutationObserver(() => window.progressSeen(text.textContent, box.hidden))
        .observe(text, {childList: true, characterData: true, subtree: true});
}"""


def _upload(page, evidence_type: str, seed: int, seen: list) -> None:
    page.get_by_label("Evidence type").select_option(label=evidence_type)
    today = dt.date.today()
    page.get_by_label("First day of the period the evidence covers").fill(
        (today - dt.timedelta(days=20)).isoformat()
    )
    page.get_by_label("Last day of the period the evidence covers").fill(
        (today - dt.timedelta(days=1)).isoformat()
    )
    # A PDF of a few megabytes, so the upload takes long enough to report its progress.
    body = files.VALID["pdf"](seed) + b"%" + b"0" * (3 * 1024 * 1024) + b"\n%%EOF\n"
    page.get_by_label("File").set_input_files(
        {"name": f"report-{seed}.pdf", "mimeType": "application/pdf", "buffer": body}
    )
    page.evaluate(WATCH_PROGRESS)
    with page.expect_navigation():
        page.get_by_role("button", name="Upload evidence").click()
    assert any(text.startswith(("Uploading", "Uploaded")) for text, _ in seen), seen
    assert all(hidden is False for _, hidden in seen)


def test_provider_client_and_board_take_a_claim_to_a_confirmed_level(signed_in, party_a):
    track, users = party_a.track, party_a.users
    types = list(track.focus_area.evidence_types.order_by("order").values_list("name", flat=True))

    # The provider lead uploads a file for every evidence type, then drafts and submits a claim.
    provider = signed_in(users[Role.PROVIDER_LEAD])
    seen: list = []
    provider.context.expose_binding(
        "progressSeen", lambda source, text, hidden: seen.append((text, hidden))
    )
    provider.goto(f"/contracts/tracks/{track.pk}/")
    provider.get_by_role("link", name=re.compile("See and upload evidence")).click()
    for seed, name in enumerate(types, start=1):
        seen.clear()
        _upload(provider, name, seed, seen)
        provider.goto(f"/evidence/tracks/{track.pk}/")
    assert provider.get_by_text("Current", exact=True).count() >= len(types)
    provider.goto(f"/contracts/tracks/{track.pk}/")
    provider.get_by_role("link", name="Claim a level").click()
    provider.get_by_label("Level claimed").select_option(label="Level 3")
    provider.get_by_label("Your case for the level").fill("Both reports show level 3.")
    for checkbox in provider.locator("input[name=items]").all():
        checkbox.check()
    provider.get_by_role("button", name="Save as draft").click()
    provider.locator("input[name=attest]").check()
    provider.get_by_role("button", name="Submit the claim").click()
    assert provider.get_by_text("Submitted", exact=True).first.is_visible()
    claim_url = provider.url

    # A client officer finds it in the review queue, reviews it and agrees the level.
    officer = signed_in(users[Role.CLIENT_OFFICER])
    officer.get_by_role("link", name="Review queue").click()
    officer.get_by_role("link", name=re.compile(track.focus_area.name)).first.click()
    officer.get_by_role("button", name="Start the review").click()
    agree = officer.locator("#action-agree")
    agree.get_by_label("Met", exact=True).first.check()
    agree.get_by_label("Comment on criterion 1").fill("Both reports bear it out.")
    agree.get_by_role("button", name="Agree the level").click()
    assert officer.get_by_text("Agreed", exact=True).first.is_visible()

    # The board confirms it, then records a reward at a meeting, citing the contract clause.
    board = signed_in(users[Role.BOARD_MEMBER])
    board.goto(claim_url)
    board.get_by_role("button", name="Confirm the level").click()
    assert board.get_by_text("Confirmed", exact=True).first.is_visible()
    board.goto(f"/claims/contracts/{party_a.contract.pk}/board/")
    board.get_by_role("link", name="Record a board meeting").click()
    board.get_by_label("Date of the meeting").fill(dt.date.today().isoformat())
    board.get_by_role("button", name="Save").click()
    board.get_by_role("link", name="Record a decision").click()
    board.get_by_label("Reward", exact=True).check()
    board.get_by_label("Contract clause applied").fill("Schedule 7, paragraph 4.2")
    board.get_by_label("Rationale").fill("Level 3 reached ahead of the target date.")
    board.locator("input[name=assessments]").first.check()
    board.get_by_role("button", name="Record the decision").click()
    assert "Schedule 7, paragraph 4.2" in board.content()

    # The board pack downloads and opens.
    board.goto(f"/claims/contracts/{party_a.contract.pk}/board/")
    board.get_by_role("link", name=re.compile("Board meeting")).first.click()
    with board.expect_download() as pdf:
        board.get_by_role("link", name="Download the board pack (PDF)").click()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(_read(pdf.value))).pages)
    assert "Decision ledger" in text and "Schedule 7" in " ".join(text.split())
    with board.expect_download() as xlsx:
        board.get_by_role("link", name=re.compile("board pack \\(XLSX")).click()
    workbook = load_workbook(io.BytesIO(_read(xlsx.value)))
    assert "Maturity matrix" in workbook.sheetnames

    # The daily evaluation runs; the track shows its new level and the target met.
    from monitoring.jobs import refresh_and_evaluate_targets

    refresh_and_evaluate_targets()
    officer.goto(f"/contracts/tracks/{track.pk}/")
    summary = officer.locator(".app-summary")
    assert "Level 3" in summary.inner_text()
    assert summary.get_by_text("Met", exact=True).is_visible()
    officer.goto(f"/contracts/{party_a.contract.pk}/")
    heat_map = officer.get_by_role("region", name="Maturity matrix")
    assert heat_map.get_by_text("Met", exact=True).count() == 1


def _read(download) -> bytes:
    with open(download.path(), "rb") as handle:
        return handle.read()


@pytest.mark.parametrize(
    "path",
    [
        "/reports/",
        "/evidence/tracks/{track}/",
        "/claims/",
        "/claims/review/",
        "/claims/contracts/{contract}/board/",
        "/claims/contracts/{contract}/decisions/",
        "/frameworks/",
        "/monitoring/notifications/",
        "/monitoring/contracts/{contract}/flags/",
    ],
)
def test_more_pages_have_no_serious_accessibility_violations(page, party_a, path):
    sign_in(page, party_a.users[Role.PROVIDER_LEAD].username, PASSWORD)
    page.goto(path.format(contract=party_a.contract.pk, track=party_a.track.pk))
    assert page.locator("main").count() == 1
    assert axe_violations(page) == []
