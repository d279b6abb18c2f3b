"""parsl-schema.yaml describes the settings whose defaults are in parsl.yaml.

The schema is the settings' documentation (docs/conf.py renders it) and lets a
config be checked: these tests keep the two files in step and make sure the
schema rejects values dask_parsl cannot use.
"""
import copy
import pathlib

import jsonschema
import pytest
import yaml

PACKAGE_DIR = pathlib.Path(__file__).resolve().parents[1] / "dask_parsl"


def load_yaml(name: str):
    with open(PACKAGE_DIR / name) as file:
        return yaml.safe_load(file)


@pytest.fixture(scope="module")
def defaults():
    return load_yaml("parsl.yaml")


@pytest.fixture(scope="module")
def schema():
    return load_yaml("parsl-schema.yaml")


def paths_in_defaults(tree: dict, prefix: tuple = ()) -> tuple[set[tuple], set[tuple]]:
    """The paths of the settings and of the sections (mappings) in parsl.yaml."""
    settings, sections = set(), set()
    for key, value in tree.items():
        path = prefix + (key,)
        if isinstance(value, dict):
            sections.add(path)
            nested_settings, nested_sections = paths_in_defaults(value, path)
            settings |= nested_settings
            sections |= nested_sections
        else:
            settings.add(path)
    return settings, sections


def paths_in_schema(entry: dict, prefix: tuple = ()) -> tuple[set[tuple], set[tuple]]:
    """The paths of the settings and of the sections (entries with properties) in the schema."""
    settings, sections = set(), set()
    for key, value in entry.get("properties", {}).items():
        path = prefix + (key,)
        if "properties" in value:
            sections.add(path)
            nested_settings, nested_sections = paths_in_schema(value, path)
            settings |= nested_settings
            sections |= nested_sections
        else:
            settings.add(path)
    return settings, sections


def entry_for(schema: dict, path: tuple) -> dict:
    for key in path:
        schema = schema["properties"][key]
    return schema


def with_setting(defaults: dict, dotted: str, value):
    config = copy.deepcopy(defaults)
    *sections, key = dotted.split(".")
    section = config["parsl"]
    for name in sections:
        section = section[name]
    section[key] = value
    return config


def dotted(paths: set[tuple]) -> list[str]:
    return sorted(".".join(path) for path in paths)


def test_the_schema_is_a_valid_json_schema(schema):
    jsonschema.validators.validator_for(schema).check_schema(schema)


def test_the_defaults_in_parsl_yaml_satisfy_the_schema(defaults, schema):
    jsonschema.validate(defaults, schema)


def test_every_default_setting_is_described_by_the_schema(defaults, schema):
    undescribed = paths_in_defaults(defaults)[0] - paths_in_schema(schema)[0]
    assert not undescribed, (
        f"parsl.yaml has settings that parsl-schema.yaml does not describe: {dotted(undescribed)}; "
        "add them to dask_parsl/parsl-schema.yaml with a type and a description"
    )


def test_every_setting_in_the_schema_has_a_default_in_parsl_yaml(defaults, schema):
    without_default = paths_in_schema(schema)[0] - paths_in_defaults(defaults)[0]
    assert not without_default, (
        f"parsl-schema.yaml describes settings that parsl.yaml does not have: {dotted(without_default)}; "
        "give them a default in dask_parsl/parsl.yaml or remove them from the schema"
    )


def test_sections_are_the_same_in_the_defaults_and_the_schema(defaults, schema):
    assert dotted(paths_in_defaults(defaults)[1]) == dotted(paths_in_schema(schema)[1])


def test_every_setting_and_section_has_a_type_and_a_description(schema):
    settings, sections = paths_in_schema(schema)
    for path in settings | sections:
        entry = entry_for(schema, path)
        assert entry.get("type"), f"{'.'.join(path)} has no type"
        assert str(entry.get("description", "")).strip(), f"{'.'.join(path)} has no description"


@pytest.mark.parametrize(
    "setting, value",
    [
        ("local-cluster.dashboard-address", ":0"),
        ("local-cluster.dashboard-address", None),
        ("local-cluster.worker-saturation", 1.1),
        ("local-cluster.worker-saturation", 2),
        ("local-cluster.worker-saturation", float("inf")),
        ("submit.batch-interval", 0.001),
        ("submit.batch-max-wait", "0.5 s"),
        ("submit.max-batch-size", 1),
        ("logging.level", "debug"),
        ("scheduler-plugin", False),
        ("unrunnable-timeout", 30),
        ("unrunnable-timeout", "1h"),
        ("batch.walltime-margin", False),
        ("batch.walltime-margin", "10 minutes"),
        ("batch.walltime-margin", 600),
    ],
)
def test_the_schema_accepts_every_form_the_code_accepts(defaults, schema, setting, value):
    jsonschema.validate(with_setting(defaults, setting, value), schema)


@pytest.mark.parametrize(
    "setting, value",
    [
        ("submit.max-batch-size", "many"),
        ("submit.max-batch-size", 0),
        ("submit.max-batch-size", 2.5),
        ("submit.batch-interval", "a moment"),
        ("submit.batch-max-wait", -1),
        ("local-cluster.worker-saturation", "lots"),
        ("local-cluster.worker-saturation", 0),
        ("logging.level", 10),
        ("scheduler-plugin", "yes"),
        ("unrunnable-timeout", None),
        ("unrunnable-timeout", False),
        ("batch.walltime-margin", True),
        ("batch.walltime-margin", "five minutes"),
    ],
)
def test_the_schema_rejects_a_value_of_the_wrong_kind(defaults, schema, setting, value):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(with_setting(defaults, setting, value), schema)


def test_the_schema_rejects_a_misspelt_setting(defaults, schema):
    config = copy.deepcopy(defaults)
    config["parsl"]["submit"]["max-batch-sise"] = 100
    with pytest.raises(jsonschema.ValidationError, match="max-batch-sise"):
        jsonschema.validate(config, schema)
