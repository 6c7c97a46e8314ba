"""`changes()`: what a saved plan would do, with the values Terraform knows only after apply left out."""

from __future__ import annotations

from opsbook.providers.terraform.changes import changes, counts, summary


def test_values_known_after_apply_are_left_out_also_inside_an_unknown_map() -> None:
    # `terraform show -json` of a terraform_data whose input gains a key: its whole `output` is unknown
    show = {
        "resource_changes": [
            {
                "address": "terraform_data.vpc",
                "change": {
                    "actions": ["update"],
                    "before": {
                        "input": {"cidr": "10.0.0.0/16"},
                        "output": {"cidr": "10.0.0.0/16"},
                        "id": "x",
                    },
                    "after": {"input": {"cidr": "10.0.0.0/16", "version": "2.0.0"}, "id": "x"},
                    "after_unknown": {"output": True, "input": {}},
                },
            },
            {"address": "terraform_data.same", "change": {"actions": ["no-op"]}},
        ]
    }
    found = changes(show)
    assert found == [
        {"address": "terraform_data.vpc", "actions": ["update"], "diff": {"input.version": [None, "2.0.0"]}}
    ]
    assert counts(found) == "0 to add, 1 to change, 0 to destroy"
    assert summary(found) == ["update terraform_data.vpc: input.version None -> '2.0.0'"]


def test_sensitive_values_are_masked_and_output_changes_are_read() -> None:
    from opsbook.providers.terraform.changes import SENSITIVE, output_changes

    show = {
        "resource_changes": [
            {
                "address": "terraform_data.db",
                "action_reason": "replace_because_tainted",
                "change": {
                    "actions": ["update"],
                    "before": {"input": {"password": "old-secret", "size": 1, "keys": ["a", "b"]}},
                    "after": {"input": {"password": "new-secret", "size": 2, "keys": ["a", "c"]}},
                    "after_unknown": {},
                    "before_sensitive": {"input": {"password": True, "keys": [False, True]}},
                    "after_sensitive": {"input": {"password": True}},
                },
            }
        ],
        "output_changes": {
            "token": {
                "actions": ["update"],
                "before": "t1",
                "after": "t2",
                "before_sensitive": True,
                "after_sensitive": True,
            },  # fmt: skip
            "name_servers": {"actions": ["update"], "before": ["ns-1"], "after": ["ns-2"]},
            "same": {"actions": ["no-op"], "before": 1, "after": 1},
        },
    }
    (db,) = changes(show)
    assert db["diff"] == {
        "input.keys": [SENSITIVE, SENSITIVE],
        "input.password": [SENSITIVE, SENSITIVE],
        "input.size": [1, 2],
    }
    assert db["reason"] == "replace_because_tainted"
    assert "secret" not in repr(db)
    outs = output_changes(show)
    assert [o["address"] for o in outs] == ["output.name_servers", "output.token"]
    assert outs[0]["diff"] == {"value": [["ns-1"], ["ns-2"]]} and outs[1]["diff"] == {
        "value": [SENSITIVE, SENSITIVE]
    }
