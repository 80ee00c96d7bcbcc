"""The label set. Order matters: it is the order of the classifier head's outputs."""

from __future__ import annotations

LABELS: tuple[str, ...] = ("withdrawal", "transfer", "escape", "repatriation")

# Word stems of the label names; the corpus requires most positives to avoid them, and the
# keyword baseline uses them.
STEMS: dict[str, str] = {
    "withdrawal": "withdr",
    "transfer": "transfer",
    "escape": "escap",
    "repatriation": "repatr",
}

# The one-line definitions: README, model card and --help print these (the long form with
# examples and edge cases is data/guidelines.md).
DEFINITIONS: dict[str, str] = {
    "withdrawal": "armed forces, missions, militias or an organisation's staff leave, pull out of or retreat from a place",
    "transfer": "custody of people (prisoners, detainees, camp residents) or control of a facility or territory "
    "passes to another place or authority",
    "escape": "people get away, or try to, from custody, captivity or a guarded facility",
    "repatriation": "people or human remains are returned to their country of origin or citizenship",
}
