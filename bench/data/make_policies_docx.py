"""Generate scenarios/support/knowledge/policies.docx, the support bot's policies document.

Committed output; rerun after editing the text below: ``python bench/data/make_policies_docx.py``.
The docx has headings (kept as the passages' sections) and one table (one passage per row).
"""

from __future__ import annotations

from pathlib import Path

import docx

OUT = Path(__file__).resolve().parents[2] / "scenarios" / "support" / "knowledge" / "policies.docx"

SECTIONS: list[tuple[str, list[str]]] = [
    (
        "Contract and cancellation",
        [
            "You can cancel a contract with a minimum term at the end of that term with 30 days notice. "
            "After the minimum term ends, the contract continues month to month and you can cancel it at "
            "any time with 30 days notice.",
            "If you cancel before the end of the minimum term, an early termination fee applies: 50 percent "
            "of the monthly price for each remaining month of the term.",
            "You can cancel by phone, in the Nimbus app or in your online account. We confirm every "
            "cancellation by email within one working day.",
            "New customers may withdraw from a contract within 14 days of signing it without giving a "
            "reason and without any fee.",
        ],
    ),
    (
        "Equipment",
        [
            "The router remains the property of Nimbus Internet during the contract. After your contract "
            "ends, return the router within 30 days using the prepaid return label we send by email.",
            "If the router is not returned within 30 days, we charge a non-returned equipment fee of "
            "80 dollars.",
            "A router that fails on its own is replaced free of charge. A router that was damaged or lost "
            "is replaced for a one-off fee of 59 dollars.",
        ],
    ),
    (
        "Refunds and compensation",
        [
            "If your internet service is down for more than 24 hours because of a fault in our network, "
            "you receive a credit of one thirtieth of your monthly price for each full day without service.",
            "Credits for outages are added automatically to your next bill; you do not need to claim them.",
            "Refunds for overpayments are paid back to your bank account within 10 working days.",
        ],
    ),
    (
        "Fair use",
        [
            "Unlimited data plans are for personal and household use. Reselling the connection or running "
            "a commercial hosting service on a home plan is not allowed.",
            "If usage on a mobile Unlimited plan exceeds 500 GB in a month for three months in a row, we "
            "may contact you to discuss a business plan.",
        ],
    ),
    (
        "Privacy",
        [
            "We keep call recordings of support calls for 90 days to check the quality of our service, "
            "then delete them.",
            "We never sell your personal data. You can ask for a copy of your data or for its deletion by "
            "writing to privacy@nimbus.example; we answer within 30 days.",
        ],
    ),
    (
        "Complaints",
        [
            "If you are not happy with how we handled a problem, you can file a complaint by phone, by "
            "email to complaints@nimbus.example or in the app. We acknowledge every complaint within "
            "2 working days and resolve it within 15 working days.",
            "If we cannot resolve your complaint within 8 weeks, you can take it to the independent "
            "telecom ombudsman free of charge.",
        ],
    ),
]

SUPPORT_HOURS = [
    ("Channel", "Hours", "Notes"),
    ("Phone support", "Every day 8:00 to 22:00", "Technical faults are handled 24 hours a day"),
    ("Chat in the app", "Every day 8:00 to 22:00", "Average reply time under 5 minutes"),
    ("Shops", "Monday to Saturday 10:00 to 19:00", "Closed on public holidays"),
]


def main() -> None:
    document = docx.Document()
    document.core_properties.title = "Nimbus Internet customer policies"
    document.add_heading("Nimbus Internet customer policies", level=0)
    for title, paragraphs in SECTIONS:
        document.add_heading(title, level=1)
        for text in paragraphs:
            document.add_paragraph(text)
    document.add_heading("Support hours", level=1)
    table = document.add_table(rows=0, cols=3)
    for row in SUPPORT_HOURS:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    OUT.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(OUT))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
