"""Conformance: the sandbox answers what RapidPro's own API tests say RapidPro answers.

Reference: nyaruka/rapidpro @ c4e8d48, ``temba/api/v2/tests/test_*.py`` (the tests' mixin
``assertPost(..., errors=...)`` checks the status, and that each named field's list holds the
message; a ``None`` field means ``{"detail": ...}``). Every case below cites the file and line
of the assertion it restates, in our words, with the sandbox's seeded objects standing in for
the test's fixtures (its "Customers" group is our "Reporters", and so on). Nothing is copied.
A few cases cite ``temba/api/v2/fields.py`` or ``views.py`` instead, where the tests leave a
behaviour to the code (a bare ``fields.py:344``).

The cases run over real HTTP against sandboxes of this module's own, seeded like the others:
the cases that write make their own objects (``{new_group:...}``) or leave the seeded ones
they look up as they were. What a sandbox cannot do the way a real server does is listed in
the README's sandbox section ("Deliberate differences") and not asserted here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from explorer.core.catalog import catalog

TOKEN = "conformance-token"


@dataclass(frozen=True)
class Case:
    """One assertion of RapidPro's tests, restated: a request and what must come back.

    ``errors`` maps a field (``None``: the ``detail``; a ``(field, key)`` pair: a nested
    key) to a message its list must hold; ``body_is`` is the whole body, when the test
    asserts all of it; ``body_has`` some of its keys (a compiled pattern matches a value's
    format). Strings may name seeded objects as ``{kind:name}`` (see ``Refs``).
    """

    cite: str
    says: str
    method: str
    endpoint: str
    status: int
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    errors: dict[Any, str] = field(default_factory=dict)
    body_is: Any = None
    body_has: dict[str, Any] = field(default_factory=dict)


C = Case
# RapidPro writes every datetime of a result in UTC with microseconds (views.py, "Date Values").
DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
X65 = "x" * 65
REQUIRED = "This field is required."
UNIQUE = "This field must be unique."
QUOTE = 'Cannot contain the character: "'
LONG64 = "Ensure this field has no more than 64 characters."
OVER100 = "Ensure this field has no more than 100 elements."
NO_DETAIL_UUID = "URL must contain one of the following parameters: uuid"
# A campaign event's and a flow start's bodies, which most of their cases vary by one field.
EVENT = {
    "campaign": "{campaign:Farmer Tips}",
    "relative_to": "registration_date",
    "offset": 15,
    "unit": "weeks",
    "delivery_hour": -1,
}
START = {"flow": "{flow:Registration}", "contacts": ["{contact}"]}
GROUP = {"group": "{group:Farmers}"}


# fmt: off
CASES: list[Case] = [
    # --- groups: temba/api/v2/tests/test_groups.py ---------------------------------------------
    C("test_groups.py:92", "uuid and name together are refused", "GET", "groups", 400,
      {"uuid": "{group:Reporters}", "name": "Reporters"},
      errors={None: "You may only specify one of the uuid, name parameters"}),
    C("test_groups.py:96", "a group needs a name", "POST", "groups", 400, json={},
      errors={"name": REQUIRED}),
    C("test_groups.py:115", "names are unique whatever their case", "POST", "groups", 400,
      json={"name": "reporters"}, errors={"name": UNIQUE}),
    C("test_groups.py:122", "a double quote is not allowed in a name", "POST", "groups", 400,
      json={"name": '"People"'}, errors={"name": QUOTE}),
    C("test_groups.py:130", "names stop at 64 characters", "POST", "groups", 400,
      json={"name": X65}, errors={"name": LONG64}),
    C("test_groups.py:144", "a system group cannot be renamed", "POST", "groups", 403,
      {"uuid": "{group:Blocked}"}, {"name": "Won't work"},
      errors={None: "Cannot modify system object."}),
    C("test_groups.py:150", "updating a group that is not there is a 404", "POST", "groups", 404,
      {"uuid": "{unknown}"}, {"name": "Won't work"}),
    C("test_groups.py:154", "a delete must say which group", "DELETE", "groups", 400,
      errors={None: NO_DETAIL_UUID}),
    C("test_groups.py:167", "a system group cannot be deleted", "DELETE", "groups", 403,
      {"uuid": "{group:Blocked}"}, errors={None: "Cannot delete system object."}),
    C("test_groups.py:197", "a group a campaign uses stays until the campaign is archived",
      "DELETE", "groups", 400, {"uuid": "{group:Farmers}"},
      errors={None: "Group is being used by campaigns which must be archived first."}),
    C("test_groups.py:202", "deleting a group that is not there is a 404", "DELETE", "groups",
      404, {"uuid": "{unknown}"}),
    # --- labels: test_labels.py ----------------------------------------------------------------
    C("test_labels.py:52", "uuid and name together are refused", "GET", "labels", 400,
      {"uuid": "{label:Spam}", "name": "Spam"},
      errors={None: "You may only specify one of the uuid, name parameters"}),
    C("test_labels.py:56", "a label needs a name", "POST", "labels", 400, json={},
      errors={"name": REQUIRED}),
    C("test_labels.py:66", "label names are unique whatever their case", "POST", "labels", 400,
      json={"name": "spam"}, errors={"name": UNIQUE}),
    C("test_labels.py:73", "a double quote is not allowed in a label", "POST", "labels", 400,
      json={"name": '""'}, errors={"name": QUOTE}),
    C("test_labels.py:80", "label names stop at 64 characters", "POST", "labels", 400,
      json={"name": X65}, errors={"name": LONG64}),
    C("test_labels.py:89", "updating a label that is not there is a 404", "POST", "labels", 404,
      {"uuid": "{unknown}"}, {"name": "Won't work"}),
    C("test_labels.py:93", "a delete must say which label", "DELETE", "labels", 400,
      errors={None: NO_DETAIL_UUID}),
    C("test_labels.py:102", "deleting a label that is not there is a 404", "DELETE", "labels",
      404, {"uuid": "{unknown}"}),
    # --- topics: test_topics.py ----------------------------------------------------------------
    C("test_topics.py:58", "a topic needs a name", "POST", "topics", 400, json={},
      errors={"name": REQUIRED}),
    C("test_topics.py:76", "topic names are unique", "POST", "topics", 400,
      json={"name": "Billing"}, errors={"name": UNIQUE}),
    C("test_topics.py:82", "a double quote is not allowed in a topic", "POST", "topics", 400,
      json={"name": '"Hi"'}, errors={"name": QUOTE}),
    C("test_topics.py:89", "topic names stop at 64 characters", "POST", "topics", 400,
      json={"name": X65}, errors={"name": LONG64}),
    C("test_topics.py:103", "the default topic cannot be renamed", "POST", "topics", 403,
      {"uuid": "{topic:General}"}, {"name": "Won't work"},
      errors={None: "Cannot modify system object."}),
    C("test_topics.py:108", "updating a topic that is not there is a 404", "POST", "topics", 404,
      {"uuid": "{unknown}"}, {"name": "Won't work"}),
    C("test_topics.py:115", "renaming to another topic's name is refused", "POST", "topics", 400,
      {"uuid": "{topic:Billing}"}, {"name": "Feedback"}, errors={"name": UNIQUE}),
    # --- campaigns: test_campaigns.py ----------------------------------------------------------
    C("test_campaigns.py:64", "a campaign needs a name and a group, both named at once",
      "POST", "campaigns", 400, json={}, errors={"name": REQUIRED, "group": REQUIRED}),
    C("test_campaigns.py:110", "campaign names are unique", "POST", "campaigns", 400,
      json={"name": "Farmer Tips"} | GROUP, errors={"name": UNIQUE}),
    C("test_campaigns.py:121", "campaign names stop at 64 characters", "POST", "campaigns", 400,
      json={"name": X65} | GROUP, errors={"name": LONG64}),
    C("test_campaigns.py:138", "updating a campaign that is not there is a 404", "POST",
      "campaigns", 404, {"uuid": "{unknown}"}, {"name": "Won't work"} | GROUP),
    C("test_campaigns.py:161", "an archived campaign cannot be updated", "POST", "campaigns", 404,
      {"uuid": "{campaign:Old Campaign}"}, {"name": "Won't work"} | GROUP),
    # --- globals: test_globals.py --------------------------------------------------------------
    C("test_globals.py:82", "a new global needs a name, asked for by the whole object", "POST",
      "globals", 400, json={"value": "yes"},
      errors={"non_field_errors": "Name is required when creating new global."}),
    C("test_globals.py:87", "punctuation is not allowed in a global's name", "POST", "globals",
      400, json={"name": "!!!#$%^"}, errors={"name": "Name contains illegal characters."}),
    C("test_globals.py:95", "a name whose key would start with a digit is refused", "POST",
      "globals", 400, json={"name": "2cool key", "value": "23464373"},
      errors={"name": "Name creates Key that is invalid"}),
    C("test_globals.py:103", "global names stop at 36 characters", "POST", "globals", 400,
      json={"name": "x" * 37},
      errors={"name": "Ensure this field has no more than 36 characters."}),
    # --- fields: test_fields.py ----------------------------------------------------------------
    C("test_fields.py:78", "a field needs a name, asked for by the whole object", "POST",
      "fields", 400, json={}, errors={"non_field_errors": "Field 'name' is required."}),
    C("test_fields.py:82", "then a type", "POST", "fields", 400, json={"name": "goats"},
      errors={"non_field_errors": "Field 'type' is required."}),
    C("test_fields.py:90", "a bad name and a bad type are named together", "POST", "fields", 400,
      json={"name": "!@#$%", "type": "video"},
      errors={"name": "Can only contain letters, numbers and hypens.",
              "type": '"video" is not a valid choice.'}),
    C("test_fields.py:98", "the deprecated label and value_type report under their own keys",
      "POST", "fields", 400, json={"label": "!@#$%", "value_type": "video"},
      errors={"label": "Can only contain letters, numbers and hypens.",
              "value_type": '"video" is not a valid choice.'}),
    C("test_fields.py:109", "a name whose key is reserved is refused", "POST", "fields", 400,
      json={"name": "HAS", "type": "text"},
      errors={"name": 'Generated key "has" is invalid or a reserved name.'}),
    C("test_fields.py:117", "a label another field has is refused under label", "POST", "fields",
      400, json={"label": "nickname", "value_type": "text"}, errors={"label": UNIQUE}),
    C("test_fields.py:137", "updating a field that is not there is a 404", "POST", "fields", 404,
      {"key": "not_ours"}, {"name": "Something", "type": "text"}),
    C("test_fields.py:144", "a date field campaign events use stays a date", "POST", "fields",
      400, {"key": "registration_date"}, {"name": "Registration Date", "type": "text"},
      errors={"type": "Can't change type of date field being used by campaign events."}),
    # --- contacts: test_contacts.py ------------------------------------------------------------
    C("test_contacts.py:213", "a urn filter that is no URN is a 400", "GET", "contacts", 400,
      {"urn": "12345"}, errors={None: "Invalid URN: 12345"}),
    C("test_contacts.py:260", "a body must be one JSON object", "POST", "contacts", 400, json=[],
      errors={"non_field_errors": "Request body should be a single JSON object"}),
    C("test_contacts.py:330", "an unknown group is no such object", "POST", "contacts", 400,
      json={"name": "Jim", "groups": ["{unknown}"]},
      errors={"groups": "No such object: {unknown}"}),
    C("test_contacts.py:344", "every bad field is named in one answer", "POST", "contacts", 400,
      json={"name": "Jim", "language": "xyz", "urns": ["1234556789"],
            "groups": ["{unknown}"], "fields": {"hmmm": "X"}},
      errors={"language": "Not a valid ISO639-3 language code.",
              "groups": "No such object: {unknown}",
              "fields": "Invalid contact field key: hmmm",
              ("urns", "0"):
                  "Invalid URN: 1234556789. Ensure phone numbers contain country codes."}),
    C("test_contacts.py:443", "urns may not be sent when the URL names a URN", "POST", "contacts",
      400, {"urn": "tel:+250784444444"}, {"urns": ["tel:+250785555555"]},
      errors={"urns": "Field not allowed when using URN in URL"}),
    C("test_contacts.py:460", "a URN another contact has is refused at its index", "POST",
      "contacts", 400, json={"name": "Robert", "urns": ["{urn}"]},
      errors={("urns", "0"): "URN is in use by another contact."}),
    C("test_contacts.py:464", "updating a contact that is not there is a 404", "POST", "contacts",
      404, {"uuid": "{unknown}"}, {}),
    C("test_contacts.py:476", "a smart group cannot be set on a contact", "POST", "contacts", 400,
      {"uuid": "{contact}"}, {"groups": ["{group:Over 30}"]},
      errors={"groups": "Contact group must not be query based: {group:Over 30}"}),
    C("test_contacts.py:484", "at most 100 URNs", "POST", "contacts", 400, {"uuid": "{contact}"},
      {"urns": [f"twitter:bob{u}" for u in range(101)]}, errors={"urns": OVER100}),
    C("test_contacts.py:492", "at most 100 field values", "POST", "contacts", 400,
      {"uuid": "{contact}"}, {"fields": {f"field_{f}": f for f in range(101)}},
      errors={"fields": OVER100}),
    C("test_contacts.py:509", "a blocked contact cannot join groups", "POST", "contacts", 400,
      {"uuid": "{blocked_contact}"}, {"groups": ["{group:Reporters}"]},
      errors={"groups": "Non-active contacts can't be added to groups"}),
    C("test_contacts.py:517", "uuid and urn together are refused", "POST", "contacts", 400,
      {"uuid": "{contact}", "urn": "tel:+250784444444"}, {},
      errors={None: "URL can only contain one of the following parameters: urn, uuid"}),
    C("test_contacts.py:524", "a delete must say which contact", "DELETE", "contacts", 400,
      errors={None: "URL must contain one of the following parameters: urn, uuid"}),
    C("test_contacts.py:537", "a deleted contact cannot be changed", "POST", "contacts", 400,
      {"uuid": "{deleted_contact}"}, {},
      errors={"non_field_errors": "Deleted contacts can't be modified."}),
    C("test_contacts.py:564", "deleting by a URN nobody has is a 404", "DELETE", "contacts", 404,
      {"urn": "twitter:billy"}),
    C("test_contacts.py:567", "deleting a deleted contact is a 404", "DELETE", "contacts", 404,
      {"uuid": "{deleted_contact}"}),
    C("test_contacts.py:709", "null characters in a value are refused under its key", "POST",
      "contacts", 400, json={"name": "Jean", "fields": {"nickname": "crayons \u0000 pudding"}},
      errors={("fields", "nickname"): "Null characters are not allowed."}),
    # --- contact actions: test_contact_actions.py ----------------------------------------------
    C("test_contact_actions.py:56", "at most 100 contacts", "POST", "contact_actions", 400,
      json={"contacts": [str(x) for x in range(101)], "action": "add", "group": "Reporters"},
      errors={"contacts": OVER100}),
    C("test_contact_actions.py:68", "an unknown contact is no such object", "POST",
      "contact_actions", 400,
      json={"contacts": ["{contact}", "{unknown}"], "action": "add", "group": "Reporters"},
      errors={"contacts": "No such object: {unknown}"}),
    C("test_contact_actions.py:80", "blocked contacts cannot be added", "POST", "contact_actions",
      400, json={"contacts": ["{blocked_contact}"], "action": "add", "group": "Reporters"},
      errors={"non_field_errors":
              "Non-active contacts cannot be added to groups: {blocked_contact}"}),
    C("test_contact_actions.py:97", "an unknown group is no such object", "POST",
      "contact_actions", 400,
      json={"contacts": ["{contact}"], "action": "add", "group": "Spammers"},
      errors={"group": "No such object: Spammers"}),
    C("test_contact_actions.py:105", "a smart group cannot be added to", "POST", "contact_actions",
      400, json={"contacts": ["{contact}"], "action": "add", "group": "Over 30"},
      errors={"group": "Contact group must not be query based: Over 30"}),
    C("test_contact_actions.py:147", "add needs a group", "POST", "contact_actions", 400,
      json={"contacts": ["{contact}"], "action": "add"},
      errors={"non_field_errors": 'For action "add" you should also specify a group'}),
    C("test_contact_actions.py:153", "an empty group is a null one", "POST", "contact_actions",
      400, json={"contacts": ["{contact}"], "action": "add", "group": ""},
      errors={"group": "This field may not be null."}),
    C("test_contact_actions.py:214", "block takes no group", "POST", "contact_actions", 400,
      json={"contacts": ["{contact}"], "action": "block", "group": "Reporters"},
      errors={"non_field_errors": 'For action "block" you should not specify a group'}),
    C("test_contact_actions.py:222", "some contacts are needed", "POST", "contact_actions", 400,
      json={"contacts": [], "action": "block"}, errors={"contacts": "Contacts can't be empty."}),
    C("test_contact_actions.py:230", "an unknown action is not a choice", "POST",
      "contact_actions", 400, json={"contacts": ["{contact}"], "action": "like"},
      errors={"action": '"like" is not a valid choice.'}),
    # --- message actions: test_message_actions.py ----------------------------------------------
    C("test_message_actions.py:44", "an unknown label is no such object", "POST",
      "message_actions", 400, json={"messages": ["{msg_in}"], "action": "label", "label": "nope"},
      errors={"label": "No such object: nope"}),
    C("test_message_actions.py:108", "a new label's name follows the name rules", "POST",
      "message_actions", 400,
      json={"messages": ["{msg_in}"], "action": "label", "label_name": '"Hi"'},
      errors={"label_name": QUOTE}),
    C("test_message_actions.py:116", "label needs a label", "POST", "message_actions", 400,
      json={"messages": ["{msg_in}"], "action": "label"},
      errors={"non_field_errors": 'For action "label" you should also specify a label'}),
    C("test_message_actions.py:122", "an empty label is a null one", "POST", "message_actions",
      400, json={"messages": ["{msg_in}"], "action": "label", "label": ""},
      errors={"label": "This field may not be null."}),
    C("test_message_actions.py:130", "label and label_name together are refused", "POST",
      "message_actions", 400,
      json={"messages": ["{msg_in}"], "action": "label", "label": "Spam", "label_name": "Spam"},
      errors={"non_field_errors": "Can't specify both label and label_name."}),
    C("test_message_actions.py:166", "outgoing messages are refused", "POST", "message_actions",
      400, json={"messages": ["{msg_in}", "{msg_out}"], "action": "archive"},
      errors={"messages": "Not an incoming message: {msg_out}"}),
    C("test_message_actions.py:174", "archive takes no label", "POST", "message_actions", 400,
      json={"messages": ["{msg_in}"], "action": "archive", "label": "Spam"},
      errors={"non_field_errors": 'For action "archive" you should not specify a label'}),
    C("test_message_actions.py:182", "an unknown action is not a choice", "POST",
      "message_actions", 400, json={"messages": ["{msg_in}"], "action": "like"},
      errors={"action": '"like" is not a valid choice.'}),
    # --- ticket actions: test_ticket_actions.py ------------------------------------------------
    C("test_ticket_actions.py:38", "at most 100 tickets", "POST", "ticket_actions", 400,
      json={"tickets": [str(x) for x in range(101)], "action": "close"},
      errors={"tickets": OVER100}),
    C("test_ticket_actions.py:46", "an unknown ticket is no such object", "POST",
      "ticket_actions", 400, json={"tickets": ["{ticket}", "{unknown}"], "action": "close"},
      errors={"tickets": "No such object: {unknown}"}),
    C("test_ticket_actions.py:54", "tickets are required", "POST", "ticket_actions", 400,
      json={"action": "close"}, errors={"tickets": REQUIRED}),
    C("test_ticket_actions.py:62", "assign needs an assignee", "POST", "ticket_actions", 400,
      json={"tickets": ["{ticket}"], "action": "assign"},
      errors={"non_field_errors": 'For action "assign" you must specify the assignee'}),
    C("test_ticket_actions.py:70", "add_note needs a note", "POST", "ticket_actions", 400,
      json={"tickets": ["{ticket}"], "action": "add_note"},
      errors={"non_field_errors": 'For action "add_note" you must specify the note'}),
    C("test_ticket_actions.py:78", "change_topic needs a topic", "POST", "ticket_actions", 400,
      json={"tickets": ["{ticket}"], "action": "change_topic"},
      errors={"non_field_errors": 'For action "change_topic" you must specify the topic'}),
    # --- broadcasts: test_broadcasts.py --------------------------------------------------------
    C("test_broadcasts.py:123", "a broadcast needs text or attachments", "POST", "broadcasts",
      400, json={}, errors={"non_field_errors": "Must provide either text or attachments."}),
    C("test_broadcasts.py:131", "and someone to send to", "POST", "broadcasts", 400,
      json={"text": "Hello"},
      errors={"non_field_errors": "Must provide either urns, contacts or groups."}),
    C("test_broadcasts.py:139", "an unknown group is no such object", "POST", "broadcasts", 400,
      json={"text": "Hello", "groups": [123456]}, errors={"groups": "No such object: 123456"}),
    C("test_broadcasts.py:147", "the base language needs its text", "POST", "broadcasts", 400,
      json={"text": {"kin": "Muraho"}, "base_language": "eng", "contacts": ["{contact}"]},
      errors={"non_field_errors": "No text translation provided in base language."}),
    C("test_broadcasts.py:176", "and its quick replies, when there are any", "POST", "broadcasts",
      400, json={"text": {"eng": "Hello"}, "quick_replies": {"spa": [{"text": "Si"}]},
                 "base_language": "eng", "contacts": ["{contact}"]},
      errors={"non_field_errors": "No quick_replies translations provided in base language."}),
    # --- messages: test_messages.py ------------------------------------------------------------
    C("test_messages.py:161", "an id filter must be a number", "GET", "messages", 400,
      {"id": "xyz"}, errors={None: "Value for id must be an integer"}),
    C("test_messages.py:173", "contact and folder together are refused", "GET", "messages", 400,
      {"contact": "{contact}", "folder": "inbox"},
      errors={None:
              "You may only specify one of the contact, folder, label, broadcast parameters"}),
    C("test_messages.py:182", "a message needs a contact", "POST", "messages", 400, json={},
      errors={"contact": REQUIRED}),
    C("test_messages.py:189", "and text or attachments", "POST", "messages", 400,
      json={"contact": "{contact}"},
      errors={"non_field_errors": "Must provide either text or attachments."}),
    C("test_messages.py:237", "an attachment that names nothing is no such object", "POST",
      "messages", 400, json={"contact": "{contact}", "text": "Hi", "attachments": ["xxxx"]},
      errors={"attachments": "No such object: xxxx"}),
    C("test_messages.py:245", "so is an unknown media uuid", "POST", "messages", 400,
      json={"contact": "{contact}", "text": "Hi", "attachments": ["{unknown}"]},
      errors={"attachments": "No such object: {unknown}"}),
    C("test_messages.py:302", "a form reply without extra is refused at its index", "POST",
      "messages", 400,
      json={"contact": "{contact}", "text": "Book an appointment",
            "quick_replies": [{"type": "form", "text": "Book now"}]},
      body_is={"quick_replies": {
          "0": ["Quick replies of type 'form' require 'text' and 'extra' values."]}}),
    # --- campaign events: test_campaign_events.py ----------------------------------------------
    C("test_campaign_events.py:125", "five fields are required, all named at once", "POST",
      "campaign_events", 400, json={},
      errors=dict.fromkeys(("campaign", "relative_to", "offset", "unit", "delivery_hour"),
                           REQUIRED)),
    C("test_campaign_events.py:146", "a bad unit, hour and message are named together", "POST",
      "campaign_events", 400,
      json=EVENT | {"unit": "epocs", "delivery_hour": 25, "message": {"kin": "Muraho"}},
      errors={"unit": '"epocs" is not a valid choice.',
              "delivery_hour": "Ensure this value is less than or equal to 23.",
              "message": "Message text in default flow language is required."}),
    C("test_campaign_events.py:164", "a flow or a message is needed", "POST", "campaign_events",
      400, json=EVENT, errors={"non_field_errors": "Flow or a message text required."}),
    C("test_campaign_events.py:208", "a blank message is blank in the default language", "POST",
      "campaign_events", 400, json=EVENT | {"message": ""},
      errors={("message", "eng"): "This field may not be blank."}),
    C("test_campaign_events.py:356", "an event stays in its campaign", "POST", "campaign_events",
      400, {"uuid": "{event:Farmer Tips}"},
      EVENT | {"campaign": "{campaign:Appointment Reminders}", "message": {"eng": "OK"}},
      errors={"campaign": "Cannot change campaign for existing events"}),
    C("test_campaign_events.py:371", "a malformed uuid is a 400, not a 404", "POST",
      "campaign_events", 400, {"uuid": "1234"}, {},
      errors={None: "Param 'uuid': 1234 is not a valid UUID."}),
    C("test_campaign_events.py:376", "a delete must say which event", "DELETE", "campaign_events",
      400, errors={None: NO_DETAIL_UUID}),
    C("test_campaign_events.py:381", "a malformed uuid on delete is a 400", "DELETE",
      "campaign_events", 400, {"uuid": "1234"},
      errors={None: "Param 'uuid': 1234 is not a valid UUID."}),
    C("test_campaign_events.py:403", "events of an archived campaign cannot be changed", "POST",
      "campaign_events", 400, {"uuid": "{event:Old Campaign}"},
      EVENT | {"campaign": "{campaign:Old Campaign}", "message": {"eng": "OK"}},
      errors={"campaign": "No such object: {campaign:Old Campaign}"}),
    # --- flow starts: test_flow_starts.py ------------------------------------------------------
    C("test_flow_starts.py:25", "a start needs a flow", "POST", "flow_starts", 400, json={},
      errors={"flow": REQUIRED}),
    C("test_flow_starts.py:146", "and someone to start", "POST", "flow_starts", 400,
      json={"flow": "{flow:Registration}", "restart_participants": True},
      errors={"non_field_errors": "Must specify at least one group, contact or URN"}),
    C("test_flow_starts.py:161", "extra must be an object, not text", "POST", "flow_starts", 400,
      json=START | {"extra": "YES"}, errors={"extra": "Must be a valid JSON object"}),
    C("test_flow_starts.py:176", "nor a list", "POST", "flow_starts", 400,
      json=START | {"extra": [1]}, errors={"extra": "Must be a valid JSON object"}),
    C("test_flow_starts.py:190", "params the same", "POST", "flow_starts", 400,
      json=START | {"params": "YES"}, errors={"params": "Must be a valid JSON object"}),
    C("test_flow_starts.py:220", "params stop at 10,000 characters encoded", "POST",
      "flow_starts", 400, json=START | {"params": {"foo": "a" * 10000}},
      errors={"params": "Cannot exceed 10,000 characters encoded."}),
    C("test_flow_starts.py:228", "a bad URN is named at its index", "POST", "flow_starts", 400,
      json=START | {"urns": ["foo:bar"]},
      errors={("urns", "0"): "Invalid URN: foo:bar. Ensure phone numbers contain country codes."}),
    C("test_flow_starts.py:236", "an unknown contact is no such object", "POST", "flow_starts",
      400, json=START | {"contacts": ["abcde"]}, errors={"contacts": "No such object: abcde"}),
    C("test_flow_starts.py:244", "an unknown group is no such object", "POST", "flow_starts", 400,
      json=START | {"groups": ["abcde"]}, errors={"groups": "No such object: abcde"}),
    C("test_flow_starts.py:255", "an unknown flow is no such object", "POST", "flow_starts", 400,
      json={"flow": "abcde", "urns": ["tel:+12067791212"]},
      errors={"flow": "No such object: abcde"}),
    C("test_flow_starts.py:304", "a malformed uuid filter is a 400", "GET", "flow_starts", 400,
      {"uuid": "xyz"}, errors={None: "Param 'uuid': xyz is not a valid UUID."}),
    # --- resthooks: test_resthooks.py ----------------------------------------------------------
    C("test_resthooks.py:61", "a subscriber needs a resthook and a URL, named at once", "POST",
      "resthook_subscribers", 400, json={},
      errors={"resthook": REQUIRED, "target_url": REQUIRED}),
    C("test_resthooks.py:69", "an unknown resthook is named", "POST", "resthook_subscribers", 400,
      json={"resthook": "spam", "target_url": "https://foo.bar/"},
      errors={"resthook": "No resthook with slug: spam"}),
    C("test_resthooks.py:122", "a delete must say which subscriber", "DELETE",
      "resthook_subscribers", 400,
      errors={None: "URL must contain one of the following parameters: id"}),
    C("test_resthooks.py:126", "deleting a subscriber that is not there is a 404", "DELETE",
      "resthook_subscribers", 404, {"id": "999999"}),
    # --- runs, users, definitions, statistics ---------------------------------------------------
    C("test_runs.py:254", "a malformed flow filter is a 400", "GET", "runs", 400,
      {"flow": "invalid"}, errors={None: "Param 'flow': invalid is not a valid UUID."}),
    C("test_runs.py:292", "contact and flow together are refused", "GET", "runs", 400,
      {"contact": "{contact}", "flow": "{flow:Registration}"},
      errors={None: "You may only specify one of the contact, flow parameters"}),
    C("test_users.py:68", "a malformed uuid filter is a 400", "GET", "users", 400,
      {"uuid": "xyz"}, errors={None: "Param 'uuid': xyz is not a valid UUID."}),
    C("test_definitions.py:100", "dependencies is one of three words", "GET", "definitions", 400,
      {"flow": "{flow:Registration}", "dependencies": "xx"},
      errors={None: "dependencies must be one of none, flows, all"}),
    C("test_statistics.py:25", "an unreadable since is a 400", "GET", "statistics", 400,
      {"since": "bad", "until": "2026-02-28"}, errors={None: "Invalid date value for 'since'."}),
    C("test_statistics.py:29", "more than 366 days is a 400", "GET", "statistics", 400,
      {"since": "2024-01-01", "until": "2025-06-01"},
      errors={None: "Date range can't be more than 366 days."}),
    # --- creates, updates and deletes that succeed, with what the body says --------------------
    C("test_groups.py:99", "a new group is created, ready and empty", "POST", "groups", 201,
      json={"name": "Conformance Group"},
      body_has={"uuid": UUID, "name": "Conformance Group", "query": None, "status": "ready",
                "system": False, "count": 0}),
    C("test_groups.py:158", "deleting a group is a 204", "DELETE", "groups", 204,
      {"uuid": "{new_group:Short Lived}"}),
    C("test_labels.py:59", "a new label is created with no messages", "POST", "labels", 201,
      json={"name": "Conformance Label"},
      body_has={"uuid": UUID, "name": "Conformance Label", "count": 0}),
    C("test_labels.py:97", "deleting a label is a 204", "DELETE", "labels", 204,
      {"uuid": "{new_label:Short Lived}"}),
    C("test_topics.py:61", "a new topic has no tickets and a creation time", "POST", "topics", 201,
      json={"name": "Conformance Topic"},
      body_has={"uuid": UUID, "name": "Conformance Topic", "counts": {"open": 0, "closed": 0},
                "system": False, "created_on": DATETIME}),
    C("test_campaigns.py:68", "a new campaign names its group", "POST", "campaigns", 201,
      json={"name": "Conformance Campaign"} | GROUP,
      body_has={"uuid": UUID, "name": "Conformance Campaign", "archived": False,
                "group": {"uuid": "{group:Farmers}", "name": "Farmers"}, "created_on": DATETIME}),
    C("test_globals.py:107", "a new global's key comes from its name", "POST", "globals", 201,
      json={"name": "Conformance Global", "value": "23464373"},
      body_has={"key": "conformance_global", "name": "Conformance Global", "value": "23464373",
                "modified_on": DATETIME}),
    C("test_fields.py:121", "a new field is created", "POST", "fields", 201,
      json={"name": "Conformance Field", "type": "number"},
      body_has={"key": "conformance_field", "name": "Conformance Field", "type": "number"}),
    C("test_fields.py:134", "updating a field by a key nobody has is a 404", "POST", "fields", 404,
      {"key": "deleted"}, {"name": "Something", "type": "text"}),
    C("test_contacts.py:264", "an empty contact can be created", "POST", "contacts", 201, json={},
      body_has={"uuid": UUID, "name": None, "status": "active", "language": None, "urns": [],
                "groups": [], "notes": [], "flow": None, "created_on": DATETIME,
                "modified_on": DATETIME, "last_seen_on": None, "blocked": False,
                "stopped": False}),
    C("test_contacts.py:288", "so can one whose every field is empty", "POST", "contacts", 201,
      json={"name": None, "language": None, "urns": [], "groups": [], "fields": {}},
      body_has={"name": None, "language": None, "urns": [], "groups": []}),
    C("test_contacts.py:304", "a contact with every field set is created", "POST", "contacts", 201,
      json={"name": "Jean", "language": "fra", "urns": ["tel:+250783333333", "twitter:JEAN"],
            "groups": ["{group:Reporters}"], "fields": {"nickname": "Jado"}},
      body_has={"name": "Jean", "language": "fra",
                "groups": [{"uuid": "{group:Reporters}", "name": "Reporters"}]}),
    C("test_contacts.py:447", "a URN in the URL that nobody has creates a contact", "POST",
      "contacts", 201, {"urn": "tel:+250-78-5555555"}, {"name": "Bobby"},
      body_has={"name": "Bobby", "urns": ["tel:+250785555555"]}),
    C("test_contacts.py:528", "deleting a contact is a 204", "DELETE", "contacts", 204,
      {"uuid": "{new_contact:Short Lived}"}),
    C("test_contacts.py:728", "a datetime value is written in the workspace's time zone", "POST",
      "contacts", 201,
      json={"name": "Clock", "fields": {"next_appointment": "2017-11-11T11:12:13Z"}},
      body_has={"fields": {"next_appointment": "2017-11-11T13:12:13+02:00"}}),
    C("test_contacts.py:740", "a datetime without a time zone is no value", "POST", "contacts", 201,
      json={"name": "Clockless", "fields": {"next_appointment": "2017-11-11T11:12:13"}},
      body_has={"fields": {"next_appointment": None}}),
    C("test_contact_actions.py:84", "contacts named by uuid or URN join a group by name", "POST",
      "contact_actions", 204,
      json={"contacts": ["{new_contact:Joiner}", "{new_urn:tel:+250788000002}"], "action": "add",
            "group": "Volunteers"}),
    C("test_contact_actions.py:115", "a group uuid nothing has is no such object", "POST",
      "contact_actions", 400,
      json={"contacts": ["{contact}"], "action": "add", "group": "{unknown}"},
      errors={"group": "No such object: {unknown}"}),
    C("test_contact_actions.py:131", "removing by name ignores its case", "POST",
      "contact_actions", 204,
      json={"contacts": ["{new_contact:Joiner}"], "action": "remove", "group": "volunteers"}),
    C("test_contact_actions.py:157", "contacts can be blocked", "POST", "contact_actions", 204,
      json={"contacts": ["{new_contact:Blockee}"], "action": "block"}),
    C("test_contact_actions.py:168", "and unblocked", "POST", "contact_actions", 204,
      json={"contacts": ["{new_contact:Blockee}"], "action": "unblock"}),
    C("test_contact_actions.py:178", "interrupted", "POST", "contact_actions", 204,
      json={"contacts": ["{new_contact:Blockee}"], "action": "interrupt"}),
    C("test_contact_actions.py:188", "have their messages archived", "POST", "contact_actions",
      204, json={"contacts": ["{new_contact:Blockee}"], "action": "archive_messages"}),
    C("test_contact_actions.py:198", "and be deleted", "POST", "contact_actions", 204,
      json={"contacts": ["{new_contact:Deletee}"], "action": "delete"}),
    C("test_message_actions.py:28", "messages are labelled by label name", "POST",
      "message_actions", 204, json={"messages": ["{msg_in}"], "action": "label", "label": "Spam"}),
    C("test_message_actions.py:34", "or by label uuid", "POST", "message_actions", 204,
      json={"messages": ["{msg_in}"], "action": "label", "label": "{label:Spam}"}),
    C("test_message_actions.py:57", "and unlabelled", "POST", "message_actions", 204,
      json={"messages": ["{msg_in}"], "action": "unlabel", "label": "{label:Spam}"}),
    C("test_message_actions.py:66", "a new label_name makes the label", "POST", "message_actions",
      204, json={"messages": ["{msg_in}"], "action": "label", "label_name": "Conformance New"}),
    C("test_message_actions.py:94", "unlabelling by a name nobody has does nothing", "POST",
      "message_actions", 204,
      json={"messages": ["{msg_in}"], "action": "unlabel", "label_name": "XYZ"}),
    C("test_message_actions.py:134", "messages are archived", "POST", "message_actions", 204,
      json={"messages": ["{msg_in}"], "action": "archive"}),
    C("test_message_actions.py:140", "and restored", "POST", "message_actions", 204,
      json={"messages": ["{msg_in}"], "action": "restore"}),
    C("test_message_actions.py:145", "and deleted", "POST", "message_actions", 204,
      json={"messages": ["{msg_in_spare}"], "action": "delete"}),
    C("test_message_actions.py:157", "a deleted message is a failure, the rest succeed", "POST",
      "message_actions", 200, json={"messages": ["{msg_in_spare}", "{msg_in}"],
                                    "action": "restore"},
      body_is={"failures": ["{msg_in_spare}"]}),
    C("test_ticket_actions.py:82", "tickets are assigned by email", "POST", "ticket_actions", 204,
      json={"tickets": ["{open_ticket}"], "action": "assign", "assignee": "{agent_email}"}),
    C("test_ticket_actions.py:95", "and unassigned with a null assignee", "POST",
      "ticket_actions", 204,
      json={"tickets": ["{open_ticket}"], "action": "assign", "assignee": None}),
    C("test_ticket_actions.py:109", "a note is added", "POST", "ticket_actions", 204,
      json={"tickets": ["{open_ticket}"], "action": "add_note", "note": "Looks important"}),
    C("test_ticket_actions.py:122", "the topic is changed", "POST", "ticket_actions", 204,
      json={"tickets": ["{open_ticket}"], "action": "change_topic",
            "topic": "{topic:Billing}"}),
    C("test_ticket_actions.py:143", "closing a closed ticket is a failure, the rest close",
      "POST", "ticket_actions", 200,
      json={"tickets": ["{closed_ticket}", "{open_ticket}"], "action": "close"},
      body_is={"failures": ["{closed_ticket}"]}),
    C("test_ticket_actions.py:151", "and tickets are reopened", "POST", "ticket_actions", 204,
      json={"tickets": ["{open_ticket}"], "action": "reopen"}),
    C("test_broadcasts.py:154", "the base language needs its attachments, when there are any",
      "POST", "broadcasts", 400,
      json={"text": {"eng": "Hello"}, "attachments": {"spa": ["{media}"]},
            "base_language": "eng", "contacts": ["{contact}"]},
      errors={"non_field_errors": "No attachment translations provided in base language."}),
    C("test_broadcasts.py:231", "a broadcast of text and media is created", "POST", "broadcasts",
      201, json={"text": "Hello", "attachments": ["{media}"], "contacts": ["{contact}"]},
      body_has={"text": {"eng": "Hello"}, "base_language": "eng", "created_on": DATETIME}),
    C("test_broadcasts.py:267", "so is one of media alone, its text null", "POST", "broadcasts",
      201, json={"attachments": ["{media}"], "contacts": ["{contact}"]},
      body_has={"text": {"eng": None}, "quick_replies": {"eng": []}}),
    C("test_messages.py:193", "a message is queued to the contact", "POST", "messages", 201,
      json={"contact": "{contact}", "text": "Interesting"},
      body_has={"type": "text", "text": "Interesting", "attachments": [], "quick_replies": [],
                "archived": False, "broadcast": None, "direction": "out", "flow": None,
                "labels": [], "media": None, "sent_on": None, "status": "queued",
                "visibility": "visible", "created_on": DATETIME, "modified_on": DATETIME}),
    C("test_messages.py:258", "an attachment may be a content type and URL", "POST", "messages",
      201, json={"contact": "{contact}", "attachments": ["image/jpeg:https://example.com/a.jpg"]},
      body_has={"attachments": [{"content_type": "image/jpeg",
                                 "url": "https://example.com/a.jpg"}]}),
    C("test_messages.py:270", "at most 10 attachments", "POST", "messages", 400,
      json={"contact": "{contact}", "attachments": ["{media}"] * 11},
      errors={"attachments": "Ensure this field has no more than 10 elements."}),
    C("test_messages.py:367", "quick replies keep extra only where it was given", "POST",
      "messages", 201,
      json={"contact": "{contact}", "text": "What is your preferred color?",
            "quick_replies": [{"text": "Red"}, {"text": "Green", "extra": "Like grass"},
                              {"type": "form", "text": "Book now", "extra": "123456"}]},
      body_has={"quick_replies": [{"type": "text", "text": "Red"},
                                  {"type": "text", "text": "Green", "extra": "Like grass"},
                                  {"type": "form", "text": "Book now", "extra": "123456"}]}),
    C("test_campaign_events.py:170", "a message event is created", "POST", "campaign_events", 201,
      json=EVENT | {"message": "You are @fields.age"},
      body_has={"uuid": UUID, "relative_to": {"key": "registration_date",
                                             "name": "Registration Date",
                                             "label": "Registration Date"},
                "offset": 15, "unit": "weeks", "delivery_hour": -1, "flow": None,
                "message": {"eng": "You are @fields.age"}, "created_on": DATETIME}),
    C("test_campaign_events.py:211", "an event may be relative to when a contact was created",
      "POST", "campaign_events", 201,
      json=EVENT | {"relative_to": "created_on", "unit": "days", "message": "Nice unit"},
      body_has={"relative_to": {"key": "created_on", "name": "Created On",
                                "label": "Created On"}, "unit": "days"}),
    # fields.py:344: relative_to is looked up by key among all fields, system ones included
    C("fields.py:344", "an event may be relative to when a contact was last seen",
      "POST", "campaign_events", 201,
      json=EVENT | {"relative_to": "last_seen_on", "message": "Missed you"},
      body_has={"relative_to": {"key": "last_seen_on", "name": "Last Seen On",
                                "label": "Last Seen On"}}),
    C("test_campaign_events.py:235", "a flow event is created", "POST", "campaign_events", 201,
      json=EVENT | {"flow": "{flow:Registration}"},
      body_has={"flow": {"uuid": "{flow:Registration}", "name": "Registration"},
                "message": None}),
    C("test_campaign_events.py:385", "deleting an event is a 204", "DELETE", "campaign_events",
      204, {"uuid": "{new_event:Short Lived}"}),
    C("test_flow_starts.py:29", "a start is created for a contact", "POST", "flow_starts", 201,
      json=START,
      body_has={"uuid": UUID, "flow": {"uuid": "{flow:Registration}", "name": "Registration"},
                "status": "pending", "created_on": DATETIME, "modified_on": DATETIME}),
    C("test_flow_starts.py:194", "params must be an object, not a list", "POST", "flow_starts",
      400, json=START | {"params": [1]}, errors={"params": "Must be a valid JSON object"}),
    C("test_flow_starts.py:263", "at most 100 groups", "POST", "flow_starts", 400,
      json={"flow": "{flow:Registration}",
            "groups": [f"0c0c0c0c-0000-4000-8000-{g:012d}" for g in range(101)]},
      errors={"groups": OVER100}),
    C("test_resthooks.py:73", "a subscriber is created", "POST", "resthook_subscribers", 201,
      json={"resthook": "new-report", "target_url": "https://foo.bar/mothers"},
      body_has={"resthook": "new-report", "target_url": "https://foo.bar/mothers",
                "created_on": DATETIME}),
    # --- updates that succeed -----------------------------------------------------------------
    C("test_groups.py:134", "a group is renamed", "POST", "groups", 200,
      {"uuid": "{new_group:To Rename}"}, {"name": "U-Reporters"},
      body_has={"uuid": "{new_group:To Rename}", "name": "U-Reporters"}),
    C("test_labels.py:84", "a label is renamed", "POST", "labels", 200,
      {"uuid": "{new_label:To Rename}"}, {"name": "More Interesting"},
      body_is={"uuid": "{new_label:To Rename}", "name": "More Interesting", "count": 0}),
    C("test_topics.py:93", "a topic is renamed", "POST", "topics", 200,
      {"uuid": "{new_topic:To Rename}"}, {"name": "Support Tickets"},
      body_has={"uuid": "{new_topic:To Rename}", "name": "Support Tickets"}),
    C("test_campaigns.py:126", "a campaign's name and group change together", "POST",
      "campaigns", 200, {"uuid": "{new_campaign:To Change}"},
      {"name": "Reminders III", "group": "{group:Nurses}"},
      body_has={"name": "Reminders III", "group": {"uuid": "{group:Nurses}", "name": "Nurses"}}),
    C("test_globals.py:73", "a global's value changes by its key", "POST", "globals", 200,
      {"key": "{new_global:Company Name}"}, {"value": "Acme LLC"},
      body_has={"key": "company_name", "name": "Company Name", "value": "Acme LLC",
                "modified_on": DATETIME}),
    C("test_fields.py:128", "a field's name and type change by its key", "POST", "fields", 200,
      {"key": "{new_field:Fake Age}"}, {"name": "Real Age", "type": "datetime"},
      body_has={"key": "fake_age", "name": "Real Age", "type": "datetime"}),
    C("test_contacts.py:353", "updating a contact with nothing changes nothing", "POST",
      "contacts", 200, {"uuid": "{new_contact:Jean}"}, {},
      body_has={"uuid": "{new_contact:Jean}", "name": "Jean"}),
    C("test_contacts.py:365", "every field of a contact changes at once", "POST", "contacts", 200,
      {"uuid": "{new_contact:Jean}"},
      {"name": "Jason Undead", "language": "ita", "urns": ["tel:+250784444444"], "groups": [],
       "fields": {"nickname": "Žan", "gender": "frog"}},
      body_has={"name": "Jason Undead", "language": "ita", "urns": ["tel:+250784444444"],
                "groups": [], "fields": {"nickname": "Žan", "gender": "frog"}}),
    C("test_contacts.py:400", "an empty value clears a field", "POST", "contacts", 200,
      {"uuid": "{new_contact:Jean}"}, {"fields": {"nickname": "", "gender": ""}},
      body_has={"fields": {"nickname": None, "gender": None}}),
    C("test_contacts.py:433", "a contact is updated by its URN", "POST", "contacts", 200,
      {"urn": "{new_urn:tel:+250784444445}"}, {"name": "Jean III"},
      body_has={"name": "Jean III", "urns": ["tel:+250784444445"]}),
    C("test_campaign_events.py:280", "a message event becomes a flow event", "POST",
      "campaign_events", 200, {"uuid": "{new_event:To Change}"},
      EVENT | {"relative_to": "created_on", "unit": "days", "flow": "{flow:Registration}"},
      body_has={"flow": {"uuid": "{flow:Registration}", "name": "Registration"},
                "message": None, "unit": "days"}),
    C("test_campaign_events.py:301", "and back into a message event, in two languages", "POST",
      "campaign_events", 200, {"uuid": "{new_event:To Change}"},
      EVENT | {"offset": 10, "message": {"eng": "OK", "fra": "D'accord"}},
      body_has={"flow": None, "message": {"eng": "OK", "fra": "D'accord"}, "offset": 10}),
    # (the filters that find nothing: see EMPTY_FILTERS below)
    C("test_users.py:73", "more than 100 uuids are refused", "GET", "users", 400,
      {"uuid": ["{unknown}"] * 101},
      errors={None: "Param 'uuid' can have a maximum of 100 values."}),
    C("test_users.py:88", "unknown roles are ignored beside known ones", "GET", "users", 200,
      {"role": ["caretaker", "editor"]},
      body_has={"results": [{"uuid": UUID, "name": "Eddie Editor",
                             "email": "editor@sandbox.example", "role": "editor", "team": None,
                             "created_on": DATETIME, "avatar": None, "first_name": "Eddie",
                             "last_name": "Editor"}]}),
]
# fmt: on

# Filters on something that is not there: an empty page, never an error.
# "cite endpoint?query what it says"
EMPTY_FILTERS = """
test_archives.py:149 archives?type=invalid an unknown archive type finds nothing
test_campaign_events.py:118 campaign_events?campaign=Invalid an unknown campaign finds nothing
test_channel_events.py:56 channel_events?contact=invalid an unknown contact finds nothing
test_contacts.py:220 contacts?group=invalid an unknown group finds nothing
test_messages.py:113 messages?folder=invalid an unknown folder finds nothing
test_messages.py:127 messages?contact=invalid nor does an unknown contact
test_messages.py:134 messages?label=invalid nor an unknown label
test_runs.py:256 runs?flow=5fb61ca5-bdb1-4a05-af8d-274127f8186f no flow has it
test_runs.py:267 runs?contact=invalid an unknown contact finds no runs
test_runs.py:285 runs?before=longago an unreadable before finds nothing
test_runs.py:286 runs?after=thefuture nor does an unreadable after
test_tickets.py:83 tickets?contact=09d23a05-47fe-11e4-bfe9-b8f6b119e9ab no contact
test_statistics.py:35 statistics?since=2020-02-01&until=2020-02-28 no traffic
"""
for _line in EMPTY_FILTERS.strip().splitlines():
    _cite, _url, _says = _line.split(" ", 2)
    _endpoint, _, _query = _url.partition("?")
    CASES.append(
        Case(
            _cite,
            _says,
            "GET",
            _endpoint,
            200,
            dict(p.split("=") for p in _query.split("&")),
            body_has={"results": []},
        )
    )


class Refs:
    """The seeded objects the cases name, looked up once: ``{group:Reporters}`` is that
    group's uuid, ``{contact}`` an active contact's, ``{unknown}`` a uuid nothing has."""

    UNKNOWN = "0c0c0c0c-0000-4000-8000-000000000000"

    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        self.known: dict[str, str] = {"unknown": self.UNKNOWN}

    def results(self, endpoint: str, **params: Any) -> list[dict[str, Any]]:
        return self.api.get(f"/api/v2/{endpoint}.json", params=params).json()["results"]

    def named(self, endpoint: str, name: str) -> str:
        return next(r["uuid"] for r in self.results(endpoint) if r["name"] == name)

    def lookup(self, kind: str, name: str | None) -> str:
        key = kind if name is None else f"{kind}:{name}"
        if key not in self.known:
            self.known[key] = self.find(kind, name)
        return self.known[key]

    def find(self, kind: str, name: str | None) -> str:
        if kind in ("group", "label", "topic", "flow"):
            return self.named(f"{kind}s", name or "")
        if kind == "campaign":
            listed = [r for r in self.results("campaigns") if r["name"] == name]
            if listed:
                return listed[0]["uuid"]
            # an archived campaign is not listed, but its events still are
            return self.event(name or "")["campaign"]["uuid"]
        if kind == "event":
            return self.event(name or "")["uuid"]
        if kind.startswith("new_"):
            return self.made(kind, name or "")
        return self.special(kind)

    def event(self, campaign: str) -> dict[str, Any]:
        return next(e for e in self.results("campaign_events") if e["campaign"]["name"] == campaign)

    def special(self, kind: str) -> str:
        if kind == "contact":
            return self.results("contacts", group="Active")[-1]["uuid"]
        if kind == "blocked_contact":
            return self.results("contacts", group="Blocked")[0]["uuid"]
        if kind == "deleted_contact":
            return self.results("contacts", deleted="true")[0]["uuid"]
        if kind == "urn":
            return self.results("contacts", group="Active")[0]["urns"][0]
        if kind in ("msg_in", "msg_out", "msg_in_spare"):
            direction = "out" if kind == "msg_out" else "in"
            ids = [m["id"] for m in self.results("messages") if m["direction"] == direction]
            return str(ids[-1] if kind == "msg_in_spare" else ids[0])
        if kind == "ticket":
            return self.results("tickets")[0]["uuid"]
        if kind in ("open_ticket", "closed_ticket"):
            status = kind.partition("_")[0]
            return next(t["uuid"] for t in self.results("tickets") if t["status"] == status)
        if kind == "agent_email":
            return self.results("users", role="agent")[0]["email"]
        if kind == "media":
            upload = {"file": ("poster one.jpg", b"\xff\xd8\xff\xe0" + b"0" * 64, "image/jpeg")}
            return self.api.post("/api/v2/media.json", files=upload).json()["uuid"]
        raise KeyError(kind)

    def made(self, kind: str, name: str) -> str:
        """A new object for a case that changes or deletes it, so seeded ones stay as seeded."""
        if kind == "new_contact":
            return self.post("contacts", {"name": name})["uuid"]
        if kind == "new_urn":
            return str(self.post("contacts", {"name": "Bob", "urns": [name]})["urns"][0])
        if kind == "new_group":
            return self.post("groups", {"name": name})["uuid"]
        if kind in ("new_label", "new_topic"):
            return self.post(f"{kind[4:]}s", {"name": name})["uuid"]
        if kind == "new_global":
            return self.post("globals", {"name": name, "value": "1"})["key"]
        if kind == "new_field":
            return self.post("fields", {"name": name, "type": "text"})["key"]
        if kind == "new_campaign":
            return self.post("campaigns", {"name": name, "group": self.lookup("group", "Farmers")})[
                "uuid"
            ]
        event = {
            "campaign": self.lookup("campaign", "Farmer Tips"),
            "relative_to": "created_on",
            "offset": 1,
            "unit": "days",
            "delivery_hour": -1,
            "message": name,
        }
        return self.post("campaign_events", event)["uuid"]

    def post(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.api.post(f"/api/v2/{endpoint}.json", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def fill(self, value: Any) -> Any:
        """``value`` with every ``{kind:name}`` replaced; a lone number id stays a number."""
        if isinstance(value, str):
            whole = re.fullmatch(r"\{(\w+)(?::([^}]+))?\}", value)
            if whole and whole[1] in ("msg_in", "msg_out", "msg_in_spare"):
                return int(self.lookup(whole[1], None))
            return re.sub(r"\{(\w+)(?::([^}]+))?\}", lambda m: self.lookup(m[1], m[2]), value)
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value


@contextmanager
def own_sandbox(contacts: int) -> Iterator[httpx.Client]:
    """A client for a sandbox started for one module, with a rate no case can reach."""
    from explorer.sandbox.server import SandboxServer

    server = SandboxServer(token=TOKEN, contacts=contacts, rate="100000/hour")
    server.start()
    headers = {"Authorization": f"Token {TOKEN}"}
    try:
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as client:
            yield client
    finally:
        server.stop()


@pytest.fixture(scope="module")
def conformance_api() -> Iterator[httpx.Client]:
    """A sandbox of this module's own: the cases write, and the session's stays as seeded."""
    with own_sandbox(contacts=200) as client:
        yield client


@pytest.fixture(scope="module")
def refs(conformance_api: httpx.Client) -> Refs:
    return Refs(conformance_api)


def send(api: httpx.Client, refs: Refs, case: Case) -> httpx.Response:
    path = catalog()[case.endpoint].path
    params = {k: refs.fill(v) for k, v in case.params.items()}
    body = refs.fill(case.json) if case.method == "POST" else None
    return api.request(case.method, path, params=params, json=body)


def assert_answer(response: httpx.Response, case: Case, refs: Refs) -> None:
    """What RapidPro's mixin checks: the status, then each field's message in its list."""
    assert response.status_code == case.status, f"{case.cite}: {response.text}"
    if case.body_is is not None:
        assert response.json() == refs.fill(case.body_is), case.cite
    for where, message in refs.fill(case.errors).items():
        body = response.json()
        if where is None:
            assert body.get("detail") == message, f"{case.cite}: {body}"
            continue
        top, sub = where if isinstance(where, tuple) else (where, None)
        found = body.get(top)
        if sub is not None:
            assert isinstance(found, dict), f"{case.cite}: {body}"
            found = found.get(sub)
        assert isinstance(found, list) and message in found, f"{case.cite}: {body}"
    if case.body_has:
        body = response.json()
        assert matches(body, refs.fill(case.body_has)), f"{case.cite}: {body}"


def matches(value: Any, expected: Any) -> bool:
    """``value`` has ``expected``: a pattern matches its text, an object's named keys match
    (others may be there too), a list matches item by item; anything else is equal."""
    if isinstance(expected, re.Pattern):
        return isinstance(value, str) and expected.fullmatch(value) is not None
    if isinstance(expected, dict):
        return isinstance(value, dict) and all(
            k in value and matches(value[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(value, list)
            and len(value) == len(expected)
            and all(matches(v, e) for v, e in zip(value, expected, strict=True))
        )
    return bool(value == expected)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.cite} {c.says}" for c in CASES])
def test_rapidpro_asserts(conformance_api: httpx.Client, refs: Refs, case: Case) -> None:
    """Each case: its ``cite`` is the assertion in RapidPro's tests, ``says`` our restatement."""
    assert_answer(send(conformance_api, refs, case), case, refs)


# --- who may call what: each endpoint's first lines in RapidPro's tests ---------------------------
# "endpoint file get post delete": each of get/post/delete is the line and what it asserts there —
# 403 (refused without a token), 405 (a method the endpoint does not have), or "-" (not asserted).
# fmt: off
ACCESS = """
archives test_archives.py 16:403 17:405 18:405
boundaries test_boundaries.py 12:403 13:405 14:405
broadcasts test_broadcasts.py 20:403 21:403 22:405
campaign_events test_campaign_events.py 19:403 20:403 21:403
campaigns test_campaigns.py 18:403 19:403 20:405
channel_events test_channel_events.py 13:403 14:405 15:405
channels test_channels.py 12:403 13:405 14:405
contact_actions test_contact_actions.py 18:405 19:403 20:405
contacts test_contacts.py 25:403 26:403 27:403
definitions test_definitions.py 17:403 18:405 19:405
fields test_fields.py 15:403 16:403 17:405
flow_starts test_flow_starts.py 18:403 19:403 20:405
flows test_flows.py 16:403 17:405 18:405
globals test_globals.py 15:403 16:403 17:405
groups test_groups.py 18:403 19:403 20:403
labels test_labels.py 13:403 14:403 15:403
media test_media.py 18:405 19:403 20:405
message_actions test_message_actions.py 16:405 17:403 18:405
messages test_messages.py 19:403 20:403 21:405
resthooks test_resthooks.py 15:403 16:405 17:405
resthook_subscribers test_resthooks.py 19:403 20:403 21:403
resthook_events test_resthooks.py 23:403 24:405 25:405
runs test_runs.py 15:403 16:405 17:405
statistics test_statistics.py 14:403 15:405 16:405
ticket_actions test_ticket_actions.py 18:405 19:403 20:405
tickets test_tickets.py 16:403 17:405 18:405
topics test_topics.py 15:403 16:403 17:405
users test_users.py 13:403 14:405 15:405
workspace test_workspace.py 10:403 11:405 12:405
"""
# fmt: on


def _access_cases() -> list[tuple[str, str, str, int]]:
    cases = []
    for line in ACCESS.strip().splitlines():
        endpoint, test_file, *checks = line.split()
        for method, check in zip(("GET", "POST", "DELETE"), checks, strict=True):
            at, _, status = check.partition(":")
            cases.append((f"{test_file}:{at}", method, endpoint, int(status)))
    return cases


@pytest.mark.parametrize(("cite", "method", "endpoint", "status"), _access_cases())
def test_who_may_call_what(
    conformance_api: httpx.Client, cite: str, method: str, endpoint: str, status: int
) -> None:
    """403: without a token the request is refused before anything else is looked at;
    405: with one, a method the endpoint lacks is refused whatever the body."""
    path = catalog()[endpoint].path
    headers = {"Authorization": ""} if status == 403 else None
    body = {} if method == "POST" else None
    response = conformance_api.request(method, path, json=body, headers=headers)
    assert response.status_code == status, f"{cite}: {response.text}"
    assert "detail" in response.json(), cite


def test_a_wrong_token_is_refused_by_name(conformance_api: httpx.Client) -> None:
    """test_base.py:130: a token the workspace does not know is a 403 saying so."""
    response = conformance_api.get(
        "/api/v2/contacts.json", headers={"Authorization": "Token 1234567890"}
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid token"}


def test_answers_name_the_workspace(conformance_api: httpx.Client) -> None:
    """test_base.py:143: an answer to a token carries the workspace's uuid in a header."""
    response = conformance_api.get("/api/v2/campaigns.json")
    workspace = conformance_api.get("/api/v2/workspace.json").json()
    assert response.headers["X-Temba-Workspace"] == workspace["uuid"]


# --- value formats: what every listing's results look like ---------------------------------------

LISTINGS = sorted(
    e.name
    for e in catalog()
    if e.supports("GET") and e.name not in ("definitions", "statistics", "workspace", "org")
)
# Datetimes that are not a result's own times: a contact's field values (the workspace's
# offset), archives' start_date (a day).
LOCAL_TIMES = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d")


def _times(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k != "fields":
                yield from _times(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _times(v, key)
    elif key.endswith("_on") or key in ("last_seen", "time", "exited_on"):
        yield key, value


@pytest.mark.parametrize("endpoint", LISTINGS)
def test_result_datetimes_are_utc_with_microseconds(
    conformance_api: httpx.Client, endpoint: str
) -> None:
    """Every ``format_datetime`` in RapidPro's tests (e.g. test_tickets.py:46, :76): UTC,
    six decimals, a Z; ``None`` where there is no time."""
    results = conformance_api.get(catalog()[endpoint].path).json()["results"]
    for key, value in _times(results):
        assert value is None or DATETIME.fullmatch(value), f"{endpoint}.{key}: {value}"


def test_contact_datetime_values_are_in_the_workspace_zone(conformance_api: httpx.Client) -> None:
    """test_contacts.py:728: a datetime field's value carries the workspace's offset
    (Africa/Kigali, +02:00), in every listing of contacts, not only the answer to a write."""
    fields = conformance_api.get("/api/v2/fields.json", params={"type": "datetime"}).json()
    keys = [f["key"] for f in fields["results"] if f["type"] == "datetime"]
    contacts = conformance_api.get("/api/v2/contacts.json").json()["results"]
    values = [c["fields"][k] for c in contacts for k in keys if c["fields"].get(k)]
    assert values
    assert all(LOCAL_TIMES.fullmatch(v) and v.endswith("+02:00") for v in values), values[:3]


def test_quick_replies_leave_out_extra_not_given(conformance_api: httpx.Client) -> None:
    """test_messages.py:359: a quick reply sent without ``extra`` has no ``extra`` key at all,
    in the listing as in the answer to the send."""
    listed = conformance_api.get("/api/v2/messages.json").json()["results"]
    replies = [q for m in listed for q in m["quick_replies"]]
    assert replies
    assert all(
        set(q) <= {"type", "text", "extra"} and q.get("extra", "") is not None for q in replies
    )


def _export(api: httpx.Client, flow: str, dependencies: str | None = None) -> dict[str, Any]:
    params = {"flow": flow} | ({"dependencies": dependencies} if dependencies else {})
    response = api.get("/api/v2/definitions.json", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_flow_export_brings_the_campaigns_that_start_it(
    conformance_api: httpx.Client, refs: Refs
) -> None:
    """test_definitions.py:46 and :57: a flow exported with all its dependencies (the default)
    brings the campaign whose event starts it, and that campaign's other flows; :68 and :79:
    with none, or flows only, no campaign comes along."""
    flow = refs.lookup("flow", "Health Survey")
    for dependencies in (None, "all"):
        exported = _export(conformance_api, flow, dependencies)
        assert [c["name"] for c in exported["campaigns"]] == ["Appointment Reminders"]
        names = {f["name"] for f in exported["flows"]}
        assert {"Health Survey", "Appointment Reminder"} <= names
    for dependencies in ("none", "flows"):
        exported = _export(conformance_api, flow, dependencies)
        assert exported["campaigns"] == []
        assert [f["name"] for f in exported["flows"]] == ["Health Survey"]


def test_definitions_carry_campaign_event_start_mode(
    conformance_api: httpx.Client, refs: Refs
) -> None:
    """Campaign events in an export carry ``start_mode`` (temba/campaigns/models.py:279 writes
    it for every event, test_definitions.py:46 exports them with the flow)."""
    exported = _export(conformance_api, refs.lookup("flow", "Health Survey"))
    events = [e for c in exported["campaigns"] for e in c["events"]]
    assert events
    assert all(e["start_mode"] in ("I", "S", "P") for e in events), events[:2]


# --- workspace limits --------------------------------------------------------------------------

LIMITED = [
    ("test_fields.py:153", "fields", {"type": "text"}),
    ("test_globals.py:120", "globals", {"value": "x"}),
    ("test_groups.py:218", "groups", {}),
    ("test_labels.py:106", "labels", {}),
    ("test_topics.py:121", "topics", {}),
]


@pytest.fixture(scope="module")
def limits_api() -> Iterator[httpx.Client]:
    """A small sandbox of its own that these tests fill up to the limits."""
    with own_sandbox(contacts=20) as client:
        yield client


@pytest.mark.parametrize(("cite", "endpoint", "extra"), LIMITED, ids=[c[0] for c in LIMITED])
def test_a_full_workspace_refuses_one_more(
    limits_api: httpx.Client, cite: str, endpoint: str, extra: dict[str, Any]
) -> None:
    """Once a workspace holds as many of these as it may, a create is a 409 saying why."""
    path = catalog()[endpoint].path
    for n in range(1000):
        response = limits_api.post(path, json={"name": f"Filler {n}"} | extra)
        if response.status_code != 201:
            break
    assert response.status_code == 409, f"{cite}: {response.text}"
    assert response.json() == {
        "detail": "Cannot create object because workspace has reached limit."
    }, cite


# --- the shape of what results refer to ----------------------------------------------------------
# endpoint: (cite, query, {path: keys}). A path walks each result: "name" is a key, "name[]" each
# item of a list, "name{}" each value of an object; every object found must have exactly those
# keys (a null is allowed where RapidPro's test shows one).
REF = "uuid name"
# fmt: off
SHAPES: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "boundaries": ("test_boundaries.py:32", {}, {"parent": "osm_id name",
                                                  "geometry": "type coordinates"}),
    "broadcasts": ("test_broadcasts.py:71", {}, {"progress": "total started", "contacts[]": REF,
                                                  "groups[]": REF}),
    "campaigns": ("test_campaigns.py:42", {}, {"group": REF}),
    "campaign_events": ("test_campaign_events.py:74", {}, {"campaign": REF, "flow": REF,
                                                            "relative_to": "key name label"}),
    "channel_events": ("test_channel_events.py:40", {}, {"channel": REF, "contact": REF}),
    "channels": ("test_channels.py:46", {}, {
        "device": "name network_type power_level power_source power_status"}),
    "contacts": ("test_contacts.py:79", {}, {"groups[]": REF, "flow": REF,
                                             "notes[]": "text created_on created_by",
                                             "notes[].created_by": "email name"}),
    "fields": ("test_fields.py:54", {}, {"usages": "campaign_events flows groups"}),
    "flow_starts": ("test_flow_starts.py:283", {}, {"flow": REF, "contacts[]": REF,
                                                     "groups[]": REF,
                                                     "progress": "total started"}),
    "flows": ("test_flows.py:55", {}, {
        "runs": "active waiting completed interrupted expired failed",
        "results[]": "key name categories node_uuids", "labels[]": REF}),
    "messages": ("test_messages.py:83", {}, {"channel": REF, "contact": REF, "labels[]": REF,
                                             "flow": REF,
                                             "attachments[]": "content_type url"}),
    "runs": ("test_runs.py:84", {}, {"flow": REF, "contact": "uuid name urn urn_display",
                                     "start": "uuid", "path[]": "node time",
                                     "values{}": "value category node time name"}),
    "tickets": ("test_tickets.py:41", {}, {"contact": REF, "topic": REF,
                                           "assignee": "email name", "opened_by": "email name",
                                           "opened_in": REF}),
    "topics": ("test_topics.py:35", {}, {"counts": "open closed"}),
    "users": ("test_users.py:28", {}, {"team": REF}),
}
# fmt: on
EXPANDED_URNS = (
    "test_contacts.py:114",
    {"expand_urns": "true"},
    {"urns[]": "channel scheme path display", "urns[].channel": REF},
)


def _at(value: Any, path: str) -> Iterator[Any]:
    """Every object that ``path`` reaches in ``value`` (nulls skipped)."""
    head, _, rest = path.partition(".")
    name = head.rstrip("[]{}")
    found = value.get(name) if isinstance(value, dict) else None
    if found is None:
        return
    items = found if head.endswith("[]") else found.values() if head.endswith("{}") else [found]
    for item in items:
        if rest:
            yield from _at(item, rest)
        else:
            yield item


@pytest.mark.parametrize(
    ("endpoint", "shape"),
    [*SHAPES.items(), ("contacts", EXPANDED_URNS)],
    ids=[*SHAPES, "contacts?expand_urns"],
)
def test_what_results_refer_to_is_shaped_as_rapidpro_writes_it(
    conformance_api: httpx.Client, endpoint: str, shape: tuple[str, Any, dict[str, str]]
) -> None:
    """The nested objects of each listing's results have RapidPro's keys, no more, no less."""
    cite, query, paths = shape
    path = catalog()[endpoint].path
    results = conformance_api.get(path, params=query).json()["results"]
    assert results, cite
    for where, keys in paths.items():
        seen = [obj for row in results for obj in _at(row, where)]
        assert seen, f"{cite}: the seed has no {endpoint}.{where} to check"
        for obj in seen:
            assert isinstance(obj, dict) and set(obj) == set(keys.split()), f"{cite}: {obj}"


# --- media uploads -------------------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 200


def test_an_upload_needs_a_file_of_a_kind_messages_can_carry(conformance_api: httpx.Client) -> None:
    """test_media.py:29: no file is refused under ``file``; :32: nor is a spreadsheet."""
    empty = conformance_api.post("/api/v2/media.json", data={"other": "x"})
    assert (empty.status_code, empty.json()) == (400, {"file": ["No file was submitted."]})
    sheet = ("data.xlsx", b"PK\x03\x04" + b"0" * 64, "application/vnd.ms-excel")
    refused = conformance_api.post("/api/v2/media.json", files={"file": sheet})
    assert (refused.status_code, refused.json()) == (400, {"file": ["Unsupported file type."]})


def test_an_upload_answers_where_it_is_served(conformance_api: httpx.Client) -> None:
    """test_media.py:48: the answer names the file, its type and size, and a URL whose file
    name is percent-encoded; the URL serves what was uploaded."""
    upload = {"file": ("steve marten.jpg", JPEG, "image/jpeg")}
    response = conformance_api.post("/api/v2/media.json", files=upload)
    assert response.status_code == 201, response.text
    body = response.json()
    assert matches(
        body,
        {"uuid": UUID, "content_type": "image/jpeg", "filename": "steve marten.jpg", "size": 204},
    )
    assert list(body) == ["uuid", "content_type", "url", "filename", "size"]
    assert body["url"].endswith(f"/{body['uuid']}/steve%20marten.jpg")
    served = conformance_api.get(body["url"])
    assert served.status_code == 200 and served.content == JPEG


# --- translated fields: what RapidPro's serializer tests accept and refuse ----------------------
# Sent as a broadcast to one contact (text "Hi" unless the case is about text). The field tests
# (test_serializers.py) assert only that a value is refused; where the body's wording comes from
# DRF's DictField or RapidPro's fields.py, the case names it.
NOT_ALLOWED = "Not an allowed ISO 639-3 language code."
RED = [{"text": "Red"}]
# fmt: off
TRANSLATED: list[tuple[str, str, Any, Any]] = [
    # (cite, field, value sent, what comes back: the field's value in the 201, or its error)
    ("test_serializers.py:149", "quick_replies", {"eng": RED},
     {"eng": [{"type": "text", "text": "Red"}]}),
    ("test_serializers.py:159", "quick_replies", RED, {"eng": [{"type": "text", "text": "Red"}]}),
    ("test_serializers.py:189", "quick_replies", [{"type": "location"}],
     {"eng": [{"type": "location"}]}),
    ("test_serializers.py:194", "quick_replies", [{"type": "form", "text": "Go", "extra": "1"}],
     {"eng": [{"type": "form", "text": "Go", "extra": "1"}]}),
    ("test_serializers.py:202", "quick_replies", [{"text": "Red", "extra": "x" * 1000}],
     {"eng": [{"type": "text", "text": "Red", "extra": "x" * 1000}]}),
    ("test_serializers.py:207", "quick_replies", {"eng": ""},
     {"eng": ['Expected a list of items but got type "str".']}),
    ("test_serializers.py:210", "quick_replies", 123,
     ['Expected a dictionary of items but got type "int".']),
    ("test_serializers.py:211", "quick_replies", {}, ["This dictionary may not be empty."]),
    ("test_serializers.py:212", "quick_replies", {"eng": {"foo": "bar"}},
     {"eng": ['Expected a list of items but got type "dict".']}),
    ("test_serializers.py:214", "quick_replies", {"base": RED}, {"base": [NOT_ALLOWED]}),
    ("test_serializers.py:215", "quick_replies", {"eng": RED * 11},
     {"eng": ["Ensure this field has no more than 10 elements."]}),
    ("test_serializers.py:216", "quick_replies", {"eng": [{"text": "a" * 65}]},
     {"eng": {"0": {"text": ["Ensure this field has no more than 64 characters."]}}}),
    ("test_serializers.py:217", "quick_replies", {"eng": [{"text": "Red", "extra": "x" * 1001}]},
     {"eng": {"0": {"extra": ["Ensure this field has no more than 1000 characters."]}}}),
    ("test_serializers.py:222", "quick_replies", {"eng": [{"type": "text"}]},
     {"eng": {"0": ["Quick replies of type 'text' require a 'text' value."]}}),
    ("test_serializers.py:228", "quick_replies", {"eng": [{"type": "url", "extra": "http://x.com"}]},
     {"eng": {"0": ["Quick replies of type 'url' require 'text' and 'extra' values."]}}),
    ("test_serializers.py:231", "quick_replies", {"eng": [{"type": "location", "extra": "what?"}]},
     {"eng": {"0": ["Quick replies of type 'location' cannot have an 'extra' value."]}}),
    ("test_serializers.py:258", "text", "Hello", {"eng": "Hello"}),
    ("test_serializers.py:260", "text", {"eng": "Hello", "fra": "Salut"},
     {"eng": "Hello", "fra": "Salut"}),
    ("test_serializers.py:261", "text", {"eng": ""}, {"eng": ["This field may not be blank."]}),
    ("test_serializers.py:263", "text", "  ", {"eng": ["This field may not be blank."]}),
    ("test_serializers.py:264", "text", 123,
     ['Expected a dictionary of items but got type "int".']),
    ("test_serializers.py:265", "text", {}, ["This dictionary may not be empty."]),
    ("test_serializers.py:267", "text", {"base": "Hello"}, {"base": [NOT_ALLOWED]}),
    ("test_serializers.py:268", "text", {"eng": "x" * 4097},
     {"eng": ["Ensure this field has no more than 4096 characters."]}),
    ("test_serializers.py:283", "attachments", {}, ["This dictionary may not be empty."]),
    ("test_serializers.py:286", "attachments", {"base": ["image/jpeg:https://example.com/a.jpg"]},
     {"base": [NOT_ALLOWED]}),
    ("test_serializers.py:287", "attachments", {"eng": ["Hello"]},
     {"eng": ["No such object: Hello"]}),
    ("test_serializers.py:290", "attachments", {"kin": "image/jpeg:https://example.com/a.jpg"},
     {"kin": ['Expected a list of items but got type "str".']}),
    ("test_serializers.py:293", "attachments",
     {"eng": ["image/jpeg:https://example.com/a.jpg"] * 11},
     {"eng": ["Ensure this field has no more than 10 elements."]}),
    ("test_serializers.py:239", "base_language", "kin", "kin"),
    ("test_serializers.py:241", "base_language", "xyz", [NOT_ALLOWED]),
    ("test_serializers.py:241", "base_language", "english",
     ["Ensure this field has no more than 3 characters.", NOT_ALLOWED]),
]
# fmt: on


@pytest.mark.parametrize(
    ("cite", "name", "value", "expected"),
    TRANSLATED,
    ids=[f"{c[0]} {c[1]}={json.dumps(c[2])[:30]}" for c in TRANSLATED],
)
def test_translated_fields_as_rapidpro_reads_them(
    conformance_api: httpx.Client, refs: Refs, cite: str, name: str, value: Any, expected: Any
) -> None:
    """Accepted: a 201 whose field holds the value as RapidPro stores it (a bare value is the
    default language's). Refused: a 400 with the field's error, nested by language."""
    body = {
        "text": {"eng": "Hi", "kin": "Muraho", "fra": "Salut"},
        "contacts": [refs.lookup("contact", None)],
    }
    body[name] = value
    response = conformance_api.post("/api/v2/broadcasts.json", json=body)
    refused = _is_error(expected)
    if refused:
        assert response.status_code == 400, f"{cite}: {response.text}"
        assert response.json() == {name: expected}, cite
    else:
        assert response.status_code == 201, f"{cite}: {response.text}"
        assert matches(response.json()[name], expected), f"{cite}: {response.json()[name]}"


def _is_error(value: Any) -> bool:
    """Whether an expected value is an error body: lists of messages, however nested."""
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, str) for v in value)
    return isinstance(value, dict) and all(_is_error(v) for v in value.values())
