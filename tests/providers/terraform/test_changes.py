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
