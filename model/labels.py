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

DEFINITIONS: dict[str, str] = {
    "withdrawal": "armed forces, missions or an organisation's personnel leave or pull out of a place",
    "transfer": "custody of people, or control of a facility or territory, passes to another place or authority",
    "escape": "people get away, or try to, from custody, captivity or a guarded facility",
    "repatriation": "people or human remains are returned to their country of origin or citizenship",
}
