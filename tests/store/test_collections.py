"""Collections on disk: stable, diff-friendly files; tree changes; broken files left alone."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest

from explorer.core.catalog import HttpMethod
from explorer.core.errors import ValidationError, ValidationErrors
from explorer.core.request import NULL, Draft, prepare
from explorer.store import migrations
from explorer.store.collections import (
    COLLECTION_FILE,
    Collection,
    SavedRequest,
    TreeFolder,
    TreeRequest,
    create_collection,
    list_collections,
    slugify,
)
from explorer.store.errors import StoreError


def new_contact() -> SavedRequest:
    return SavedRequest(
        "Create Ben",
        Draft(
            "contacts",
            HttpMethod.POST,
            params={"urn": ""},
            body={
                "name": "Ben Haggerty",
                "language": NULL,
                "urns": ["tel:+250788123123"],
                "groups": [],
                "fields": {"nickname": "Macklemore", "age": "39"},
            },
        ),
        notes="Makes a contact for the demo.",
        expect_status=(201,),
    )


@pytest.fixture
def coll(tmp_path: Path) -> Collection:
    return Collection.create(tmp_path / "demo", "Demo")


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".trash" not in p.parts
    }


def shape(folder: TreeFolder) -> list[Any]:
    return [(c.name, shape(c)) if isinstance(c, TreeFolder) else c.name for c in folder.children]


# --- the file format -----------------------------------------------------------------------


def test_a_request_file_is_small_ordered_and_leaves_defaults_out(coll: Collection) -> None:
    saved = coll.add(new_contact())
    assert saved.path == "create-ben.json"
    text = (coll.root / "create-ben.json").read_text(encoding="utf-8")
    assert text == (
        "{\n"
        '  "schema_version": 1,\n'
        '  "name": "Create Ben",\n'
        '  "notes": "Makes a contact for the demo.",\n'
        '  "endpoint": "contacts",\n'
        '  "method": "POST",\n'
        '  "body": {\n'
        '    "name": "Ben Haggerty",\n'
        '    "language": null,\n'
        '    "urns": [\n'
        '      "tel:+250788123123"\n'
        "    ],\n"
        '    "fields": {\n'
        '      "age": "39",\n'
        '      "nickname": "Macklemore"\n'
        "    }\n"
        "  },\n"
        '  "expect_status": 201\n'
        "}\n"
    )
    get = coll.add(SavedRequest("List contacts", Draft("contacts")))
    assert (coll.root / get.path).read_text() == (
        '{\n  "schema_version": 1,\n  "name": "List contacts",\n  "endpoint": "contacts"\n}\n'
    )


def test_save_and_load_round_trip(coll: Collection) -> None:
    saved = coll.add(new_contact())
    again = Collection.open(coll.root)
    loaded = again.get(saved.path)
    assert loaded == saved
    draft = again.load_draft(saved.path)
    assert draft.body["language"] is NULL  # null comes back as "send null", not "unset"
    assert "urn" not in draft.params and "groups" not in draft.body  # unset values left out
    assert prepare(draft).json_body == prepare(new_contact().draft).json_body


def test_saving_twice_gives_identical_bytes(coll: Collection) -> None:
    saved = coll.add(new_contact())
    first = files(coll.root)
    coll.save(saved)
    Collection.open(coll.root).save(Collection.open(coll.root).get(saved.path))
    assert files(coll.root) == first
    # Key order in memory does not matter: the file is ordered the same way.
    shuffled = Collection.open(coll.root).get(saved.path)
    shuffled.draft.body = dict(reversed(list(shuffled.draft.body.items())))
    coll.save(shuffled)
    assert files(coll.root) == first


def test_a_one_field_change_is_a_one_line_diff(coll: Collection) -> None:
    saved = coll.add(new_contact())
    before = (coll.root / saved.path).read_text().splitlines(keepends=True)
    saved.draft.body["name"] = "Ben H."
    coll.save(saved)
    after = (coll.root / saved.path).read_text().splitlines(keepends=True)
    diff = list(difflib.unified_diff(before, after, n=0))
    changed = [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ['-    "name": "Ben Haggerty",\n', '+    "name": "Ben H.",\n']


def test_file_names_come_from_request_names_and_are_unique(coll: Collection) -> None:
    assert slugify("Créer un groupe (v2)!") == "creer-un-groupe-v2"
    assert slugify("???") == "request"
    assert slugify("CON") == "con-1"
    a = coll.add(SavedRequest("List contacts", Draft("contacts")))
    b = coll.add(SavedRequest("List contacts", Draft("contacts")))
    c = coll.add(SavedRequest("list  CONTACTS", Draft("contacts")))
    assert [a.path, b.path, c.path] == [
        "list-contacts.json",
        "list-contacts-2.json",
        "list-contacts-3.json",
    ]
    assert [r.name for r in Collection.open(coll.root).requests()] == [
        "List contacts",
        "List contacts",
        "list  CONTACTS",
    ]


def test_values_that_cannot_be_saved_are_refused(coll: Collection) -> None:
    bad = SavedRequest("Bad", Draft("contacts", HttpMethod.POST, body={"name": object()}))
    with pytest.raises(ValidationErrors) as info:
        coll.add(bad)
    assert info.value.for_field("name")
    assert files(coll.root) == {COLLECTION_FILE: (coll.root / COLLECTION_FILE).read_bytes()}


# --- the tree ------------------------------------------------------------------------------


def build(coll: Collection) -> None:
    coll.add(SavedRequest("List contacts", Draft("contacts")))
    groups = coll.create_folder("Groups")
    coll.add(
        SavedRequest("Create group", Draft("groups", HttpMethod.POST, body={"name": "A"})), groups
    )
    coll.add(SavedRequest("Fetch group", Draft("groups", params={"name": "A"})), groups)
    coll.add(SavedRequest("Delete group", Draft("groups", HttpMethod.DELETE)), groups)


def test_the_tree_keeps_the_saved_order(coll: Collection) -> None:
    build(coll)
    expected = [
        "List contacts",
        ("Groups", ["Create group", "Fetch group", "Delete group"]),
    ]
    assert shape(coll.tree()) == expected
    assert shape(Collection.open(coll.root).tree()) == expected
    meta = json.loads((coll.root / COLLECTION_FILE).read_text())
    assert meta["order"]["Groups"] == ["create-group.json", "fetch-group.json", "delete-group.json"]
    # Files added by hand (a git pull) come after the ordered ones, by name.
    (coll.root / "Groups" / "aaa.json").write_text(
        '{"schema_version": 1, "name": "Added", "endpoint": "groups"}'
    )
    assert shape(Collection.open(coll.root).tree())[1][1][-1] == "Added"


def test_rename_keeps_the_place_and_renames_the_file(coll: Collection) -> None:
    build(coll)
    new = coll.rename("Groups/fetch-group.json", "Find the group")
    assert new == "Groups/find-the-group.json"
    assert not (coll.root / "Groups/fetch-group.json").exists()
    assert coll.get(new).name == "Find the group"
    assert shape(Collection.open(coll.root).tree())[1] == (
        "Groups",
        ["Create group", "Find the group", "Delete group"],
    )
    folder = coll.rename("Groups", "Contact groups")
    assert folder == "Contact groups"
    assert shape(coll.tree())[1][0] == "Contact groups"
    assert coll.get("Contact groups/find-the-group.json").name == "Find the group"
    with pytest.raises(ValidationError):
        coll.rename("Contact groups", "a/b")


def test_duplicate_goes_right_after_the_original(coll: Collection) -> None:
    build(coll)
    copy = coll.duplicate("Groups/create-group.json")
    assert copy.name == "Create group copy"
    assert copy.path == "Groups/create-group-copy.json"
    assert copy.draft == coll.get("Groups/create-group.json").draft
    assert shape(coll.tree())[1][1][:2] == ["Create group", "Create group copy"]


def test_move_requests_and_folders(coll: Collection) -> None:
    build(coll)
    moved = coll.move("list-contacts.json", "Groups", index=0)
    assert moved == "Groups/list-contacts.json"
    assert shape(coll.tree()) == [
        ("Groups", ["List contacts", "Create group", "Fetch group", "Delete group"])
    ]
    coll.move("Groups/delete-group.json", "Groups", index=0)  # reorder within the folder
    assert shape(coll.tree())[0][1][0] == "Delete group"
    sub = coll.create_folder("Cleanup")
    nested = coll.move("Groups", sub)
    assert nested == "Cleanup/Groups"
    assert shape(Collection.open(coll.root).tree()) == [
        ("Cleanup", [("Groups", ["Delete group", "List contacts", "Create group", "Fetch group"])])
    ]
    with pytest.raises(ValidationError):
        coll.move("Cleanup", "Cleanup/Groups")
    # A name taken in the target folder gets a new one; nothing is overwritten.
    coll.add(SavedRequest("List contacts", Draft("contacts")))
    again = coll.move("list-contacts.json", "Cleanup/Groups")
    assert again == "Cleanup/Groups/list-contacts-2.json"
    assert len(coll.requests()) == 5


def test_delete_and_undo(coll: Collection) -> None:
    build(coll)
    before_tree = shape(coll.tree())
    before_files = files(coll.root)
    deleted = coll.delete("Groups/fetch-group.json")
    assert shape(coll.tree())[1][1] == ["Create group", "Delete group"]
    assert (coll.root / deleted.trash).is_file()
    assert (coll.root / ".trash/.gitignore").read_text() == "*\n"
    assert coll.undo(deleted) == "Groups/fetch-group.json"
    assert shape(coll.tree()) == before_tree
    assert files(coll.root) == before_files

    folder = coll.delete("Groups")
    assert shape(Collection.open(coll.root).tree()) == ["List contacts"]
    assert coll.undo(folder) == "Groups"
    assert shape(Collection.open(coll.root).tree()) == before_tree

    # Undo after the name was taken again: the entry comes back beside the new one.
    gone = coll.delete("list-contacts.json")
    coll.add(SavedRequest("List contacts", Draft("contacts", params={"deleted": True})), index=0)
    assert coll.undo(gone) == "list-contacts-2.json"
    assert shape(coll.tree())[:2] == ["List contacts", "List contacts"]
    coll.empty_trash()
    assert not (coll.root / ".trash").exists()


def test_variables_and_environments(coll: Collection) -> None:
    coll.set_variables({"group_name": "Testers", "page": "2"})
    coll.set_environment("Production", {"group_name": "Prod testers"})
    again = Collection.open(coll.root)
    assert again.scope("Production", base_url="https://app.rapidpro.io") == {
        "group_name": "Prod testers",
        "page": "2",
        "base_url": "https://app.rapidpro.io",
    }
    assert again.scope("Staging")["group_name"] == "Testers"
    assert again.scope("Staging", environment="Production")["group_name"] == "Prod testers"
    with pytest.raises(ValidationErrors, match="keyring"):
        coll.set_variables({"token": "0123456789abcdef"})
    with pytest.raises(ValidationErrors, match="keyring"):
        coll.set_environment("Production", {"api_key": "secret"})
    coll.set_variables({"token": ""})  # the name is fine, empty (Postman files have one)
    with pytest.raises(ValidationErrors):
        coll.set_variables({"base_url": "https://example.org"})


def test_collections_folder(tmp_path: Path) -> None:
    first = create_collection("Smoke tests")
    second = create_collection("Smoke tests")
    assert first.root.parent == second.root.parent
    assert [c.path.name for c in list_collections()] == ["smoke-tests", "smoke-tests-2"]
    assert {c.name for c in list_collections()} == {"Smoke tests"}
    with pytest.raises(StoreError):
        Collection.open(tmp_path)  # no collection.json
    with pytest.raises(StoreError):
        Collection.create(first.root)  # already one
    # Any folder can become one, such as a repository checkout with other files in it.
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "README.md").write_text("hi")
    (tmp_path / "repo" / ".git").mkdir()
    (tmp_path / "repo" / ".git" / "config.json").write_text("{}")
    repo = Collection.create(tmp_path / "repo")
    assert repo.name == "repo" and repo.problems == [] and repo.requests() == []


# --- files that cannot be read -------------------------------------------------------------


def test_unreadable_and_newer_files_are_reported_and_left_untouched(coll: Collection) -> None:
    build(coll)
    broken = coll.root / "Groups" / "broken.json"
    broken.write_bytes(b'{"schema_version": 1, "name": "Half')
    newer = coll.root / "newer.json"
    newer.write_bytes(b'{"schema_version": 7, "name": "From the future", "endpoint": "x"}\n')
    unknown = coll.root / "unknown-key.json"
    unknown.write_bytes(b'{"schema_version": 1, "name": "X", "endpoint": "contacts", "tests": 1}')
    kept = {p: p.read_bytes() for p in (broken, newer, unknown)}

    opened = Collection.open(coll.root)
    problems = {p.path: p.reason for p in opened.problems}
    assert set(problems) == {"Groups/broken.json", "newer.json", "unknown-key.json"}
    assert "not valid JSON" in problems["Groups/broken.json"]
    assert "newer version" in problems["newer.json"]
    assert "tests" in problems["unknown-key.json"]
    # The rest opens, and the broken files show in the tree, marked.
    assert len(opened.requests()) == 4
    marked = [n for n in opened.tree().walk() if isinstance(n, TreeRequest) and n.problem]
    assert {n.path for n in marked} == set(problems)

    # Nothing writes over them: saving a request with the same file name picks another.
    with pytest.raises(StoreError, match="not saved over"):
        opened.save(SavedRequest("Newer", Draft("contacts"), path="newer.json"))
    with pytest.raises(StoreError):
        opened.rename("newer.json", "Renamed")
    assert opened.add(SavedRequest("Newer", Draft("contacts"))).path == "newer-2.json"
    assert opened.add(SavedRequest("Broken", Draft("groups")), "Groups").path == (
        "Groups/broken-2.json"
    )
    opened.move("Groups/fetch-group.json", "", index=0)
    assert {p: p.read_bytes() for p in kept} == kept


def test_an_unreadable_collection_file_opens_read_only(coll: Collection) -> None:
    build(coll)
    meta = coll.root / COLLECTION_FILE
    meta.write_bytes(b'{"schema_version": 2, "name": "Newer"}\n')
    content = meta.read_bytes()
    opened = Collection.open(coll.root)
    assert [p.path for p in opened.problems] == [COLLECTION_FILE]
    assert len(opened.requests()) == 4  # requests still open, in name order
    for change in (
        lambda: opened.add(SavedRequest("X", Draft("contacts"))),
        lambda: opened.set_variables({"a": "b"}),
        lambda: opened.delete("list-contacts.json"),
        lambda: opened.create_folder("New"),
    ):
        with pytest.raises(StoreError, match="not saved over"):
            change()
    assert meta.read_bytes() == content
    assert (coll.root / "list-contacts.json").exists()


def test_paths_cannot_leave_the_collection(coll: Collection) -> None:
    build(coll)
    for bad in ("../outside.json", "Groups/../../x.json", ".trash/x.json"):
        with pytest.raises(StoreError):
            coll.get(bad)
    with pytest.raises(StoreError):
        coll.add(SavedRequest("X", Draft("contacts")), "../elsewhere")


def test_no_token_reaches_any_file(coll: Collection, tmp_path: Path) -> None:
    from explorer.core.curl_import import parse_curl
    from explorer.store.postman import SCHEMA_V21, import_into, parse_postman, write_postman

    token = "5ecret7oken0123456789abcdef0123456789abcd"
    pasted = parse_curl(
        f"curl -H 'Authorization: Token {token}' "
        "'https://app.rapidpro.io/api/v2/contacts.json?group=Testers'"
    )
    assert pasted.token == token and token not in repr(pasted)
    coll.add(SavedRequest("From curl", pasted.draft))
    result = parse_postman(
        {
            "info": {"name": "P", "schema": SCHEMA_V21},
            "auth": {"type": "apikey", "apikey": [{"key": "value", "value": f"Token {token}"}]},
            "variable": [{"key": "token", "value": token}, {"key": "api_secret", "value": token}],
            "item": [
                {
                    "name": "Runs",
                    "request": {
                        "method": "GET",
                        "header": [{"key": "Authorization", "value": f"Token {token}"}],
                        "url": "{{base_url}}/api/v2/runs.json",
                    },
                }
            ],
        }
    )
    assert result.token == token
    import_into(coll, result)
    with pytest.raises(ValidationErrors):
        coll.set_environment("Prod", {"token": token})
    write_postman(coll, coll.root / "export.postman.json")
    seen = 0
    for path in tmp_path.rglob("*"):
        if path.is_file():
            seen += 1
            assert token.encode() not in path.read_bytes(), path
    assert seen >= 4


# --- migrations ----------------------------------------------------------------------------


def test_the_migration_mechanism_takes_a_document_up_step_by_step() -> None:
    reg = migrations.Migrations("fake", current=2)

    @reg.step(0)
    def _name_from_title(doc: dict[str, Any]) -> dict[str, Any]:
        doc["name"] = doc.pop("title")
        return doc

    @reg.step(1)
    def _method_upper(doc: dict[str, Any]) -> dict[str, Any]:
        doc["method"] = doc["method"].upper()
        return doc

    old = {"schema_version": 0, "title": "List", "method": "get"}
    assert reg.needs(old)
    assert reg.apply(old) == {"schema_version": 2, "name": "List", "method": "GET"}
    assert old["title"] == "List"  # the original is left as it was
    assert reg.apply({"schema_version": 2, "name": "x"}) == {"schema_version": 2, "name": "x"}
    with pytest.raises(migrations.MigrationError):
        reg.apply({"schema_version": 3})
    with pytest.raises(ValueError):
        reg.step(0)(_name_from_title)  # one step per version
    gap = migrations.Migrations("gappy", current=2)
    gap.step(1)(_method_upper)
    with pytest.raises(migrations.MigrationError, match="schema 0"):
        gap.apply({"schema_version": 0, "method": "get"})


def test_old_request_files_are_migrated_on_read_and_rewritten_only_on_save(
    coll: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = coll.add(SavedRequest("List", Draft("contacts")))
    path = coll.root / saved.path
    # Pretend a version 2 exists: a real step on real files.
    v2 = migrations.Migrations("request", current=2)
    v2.step(1)(lambda doc: {**doc, "notes": "migrated from 1"})
    monkeypatch.setattr(migrations, "REQUEST", v2)
    before = path.read_bytes()
    opened = Collection.open(coll.root)
    assert opened.get(saved.path).notes == "migrated from 1"
    assert path.read_bytes() == before  # opening does not rewrite
    opened.save(opened.get(saved.path))
    assert json.loads(path.read_text())["schema_version"] == 2
    monkeypatch.setattr(migrations, "REQUEST", migrations.Migrations("request", current=1))
    assert [p.path for p in Collection.open(coll.root).problems] == [saved.path]


# --- changes update memory, not a full read ---------------------------------------------------


def state(coll: Collection) -> dict[str, Any]:
    """All a collection tells about itself: two equal states show the same collection."""
    return {
        "tree": coll.tree(),
        "requests": coll.requests(),
        "problems": coll.problems,
        "unreadable": coll.unreadable(),
        "folders": coll.folders(),
        "meta": coll.meta_json(),
    }


def assert_as_on_disk(coll: Collection) -> None:
    """What ``coll`` holds in memory is what opening its folder afresh reads."""
    assert state(coll) == state(Collection.open(coll.root))


def test_every_change_leaves_memory_as_a_fresh_open_reads_the_folder(coll: Collection) -> None:
    build(coll)
    archive = coll.create_folder("Archive", "Groups")
    (coll.root / "Groups" / "broken.json").write_bytes(b"{")
    (coll.root / "Archive-old.json").write_bytes(b'{"schema_version": 9}')
    coll.reload()
    assert_as_on_disk(coll)
    steps = [
        lambda: coll.rename("Groups/fetch-group.json", "Find the group"),
        lambda: coll.rename("Groups", "Contact groups"),
        lambda: coll.duplicate("Contact groups/create-group.json"),
        lambda: coll.move("list-contacts.json", "Contact groups/Archive", 0),
        lambda: coll.move("Contact groups/broken.json", ""),  # unreadable files move too
        lambda: coll.move("Contact groups/Archive", "Contact groups", 0),  # reorder a folder
        lambda: coll.move("Contact groups/Archive", ""),  # and move it up, with what is in it
        lambda: coll.create_folder("Z last", "", 0),
        lambda: coll.move("Z last", "Archive"),
    ]
    for step in steps:
        step()
        assert_as_on_disk(coll)
    assert archive == "Groups/Archive"
    assert coll.folders() == ["Contact groups", "Archive", "Archive/Z last"]
    assert [p.path for p in coll.unreadable()] == ["Archive-old.json", "broken.json"]

    deleted = [coll.delete("Archive"), coll.delete("Contact groups/delete-group.json")]
    assert_as_on_disk(coll)
    deleted.append(coll.delete("broken.json"))
    for record in reversed(deleted):
        coll.undo(record)
        assert_as_on_disk(coll)
    assert shape(coll.tree()) == [
        ("Contact groups", ["Create group", "Create group copy", "Find the group", "Delete group"]),
        "Archive-old",
        "broken",
        ("Archive", ["List contacts", ("Z last", [])]),
    ]


def test_an_undone_entry_is_read_again_from_the_trash(coll: Collection) -> None:
    build(coll)
    deleted = coll.delete("Groups")
    trashed = coll.root / deleted.trash / "fetch-group.json"
    doc = json.loads(trashed.read_text("utf-8"))
    trashed.write_text(json.dumps({**doc, "name": "Edited in the trash"}), "utf-8")
    (coll.root / deleted.trash / "half.json").write_text('{"schema_version": 1', "utf-8")
    assert coll.undo(deleted) == "Groups"
    assert coll.get("Groups/fetch-group.json").name == "Edited in the trash"
    assert [p.path for p in coll.problems] == ["Groups/half.json"]
    assert_as_on_disk(coll)


def test_undo_after_its_folder_went_too_makes_the_folder_again(coll: Collection) -> None:
    build(coll)
    request = coll.delete("Groups/fetch-group.json")
    coll.delete("Groups")
    assert coll.undo(request) == "Groups/fetch-group.json"
    assert coll.folders() == ["Groups"]
    assert shape(coll.tree()) == ["List contacts", ("Groups", ["Fetch group"])]
    assert_as_on_disk(coll)


def test_files_changed_by_others_show_after_a_reload(coll: Collection) -> None:
    build(coll)
    (coll.root / "Groups" / "added-by-hand.json").write_text(
        '{"schema_version": 1, "name": "By hand", "endpoint": "groups"}', "utf-8"
    )
    fetch = coll.root / "Groups" / "fetch-group.json"
    fetch.write_text(fetch.read_text("utf-8").replace("Fetch group", "Edited"), "utf-8")
    (coll.root / "list-contacts.json").unlink()
    coll.create_folder("New")  # a change of our own, elsewhere
    coll.reload()  # F5: everything is read again
    assert coll.get("Groups/fetch-group.json").name == "Edited"
    assert shape(coll.tree()) == [
        ("Groups", ["Create group", "Edited", "Delete group", "By hand"]),
        ("New", []),
    ]
    assert_as_on_disk(coll)


def test_moves_past_the_depth_limit_read_as_opening_does(
    coll: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from explorer.store import collections as module

    monkeypatch.setattr(module, "MAX_DEPTH", 2)
    a = coll.create_folder("A")
    b = coll.create_folder("B", a)
    c = coll.create_folder("C", b)  # at the limit: it shows, what is in it does not
    coll.add(SavedRequest("In B", Draft("contacts")), b)
    (coll.root / c / "in-c.json").write_text(
        '{"schema_version": 1, "name": "In C", "endpoint": "contacts"}', "utf-8"
    )
    coll.reload()
    assert_as_on_disk(coll)
    assert "In C" not in [r.name for r in coll.requests()]
    coll.move(c, "")  # up: what is in it is read now
    assert_as_on_disk(coll)
    assert "In C" in [r.name for r in coll.requests()]
    coll.move("C", b)  # down again: gone from view, as after opening
    assert_as_on_disk(coll)
    coll.move(b, "")
    assert_as_on_disk(coll)
    assert coll.folders() == ["A", "B", "B/C"]
