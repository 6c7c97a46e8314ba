"""RDS list prices from prices.json: per engine family and class, Multi-AZ twice Single-AZ, the region
falling back to us-east-1 (and saying so), nothing invented for a class or engine it does not know."""

from __future__ import annotations

from opsbook.checks.aws import pricing


def test_rds_instance_month_prices_classes_by_engine_and_deployment() -> None:
    single, source = pricing.rds_instance_month("us-east-1", "postgres", "db.r5.large", multi_az=False)
    assert single == 182.5 and "rds_instance_hour us-east-1 postgres" in source and "Single-AZ" in source
    multi, source = pricing.rds_instance_month("us-east-1", "postgres", "db.r5.large", multi_az=True)
    assert multi == 365.0 and "Multi-AZ" in source
    mysql, _ = pricing.rds_instance_month("us-east-1", "mysql", "db.t3.medium", multi_az=False)
    mariadb, _ = pricing.rds_instance_month("us-east-1", "mariadb", "db.t3.medium", multi_az=False)
    assert mysql == mariadb == round(0.068 * 730, 2)
    elsewhere, source = pricing.rds_instance_month("xx-nowhere-1", "postgres", "db.r5.large", multi_az=False)
    assert elsewhere == single and "no prices for xx-nowhere-1" in source


def test_rds_instance_month_has_no_price_for_what_it_does_not_list() -> None:
    price, why = pricing.rds_instance_month("us-east-1", "oracle-ee", "db.r5.large", multi_az=False)
    assert price is None and "no list price for oracle-ee db.r5.large" in why
    price, why = pricing.rds_instance_month("us-east-1", "postgres", "db.z1d.large", multi_az=False)
    assert price is None and "db.z1d.large" in why
