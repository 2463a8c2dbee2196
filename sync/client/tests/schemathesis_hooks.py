"""Values for the named formats of the kiosk <-> CA OpenAPI document.

A JSON Schema cannot state a check character or a date inside an order
number, so the document names those formats (`kiosk-order-number`, `uscc`,
`cn-resident-id`, `kiosk-email`, `cn-taxpayer-id`), `kiosk-code` a kiosk
the CA knows (the calling kiosk's own, for its staff calls and audit log),
and `kiosk-audit-entry` the JSON text of an entry of a kiosk's audit log. The test
(`schemathesis.rs`) writes valid values of each, made by the domain's own
parsers, to the file `KIOSK_SCHEMATHESIS_FORMATS` names; schemathesis draws
valid requests' values from them. Invalid requests still come from the
document's patterns and lengths, which every valid value meets.
"""

import json
import os

import schemathesis
from hypothesis import strategies as st

with open(os.environ["KIOSK_SCHEMATHESIS_FORMATS"], encoding="utf-8") as f:
    for name, values in json.load(f).items():
        schemathesis.openapi.format(name, st.sampled_from(values))
