"""Settings: defaults, SCIENTIST_* variables, settings files, precedence and clear errors."""

from __future__ import annotations

import json

import pytest

from scientist.settings import ConfigError, Settings, load_settings

from .helpers import assert_one_line_error, run_cli


def test_every_field_is_described():
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"


def test_environment_then_file_then_defaults(tmp_path, monkeypatch):
    assert load_settings().k == 5
    toml = tmp_path / "scientist.toml"
    toml.write_text("k = 7\nrelevance_cutoff = 0.3\n")
    from_file = load_settings(toml)
    assert from_file.k == 7 and from_file.relevance_cutoff == 0.3
    monkeypatch.setenv("SCIENTIST_K", "9")
    both = load_settings(toml)
    assert both.k == 9 and both.relevance_cutoff == 0.3  # the variable wins over the file
    assert load_settings(toml, k=3).k == 3  # and an argument over both
    yaml_file = tmp_path / "scientist.yaml"
    yaml_file.write_text("work_memory_mb: 256\n")
    monkeypatch.setenv("SCIENTIST_CONFIG", str(yaml_file))
    assert load_settings().work_memory_mb == 256


def test_paths_come_from_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIENTIST_CACHE", str(tmp_path / "c"))
    s = load_settings()
    assert s.cache_dir == tmp_path / "c" and s.user_dir.name  # the home folder comes from the fixture


@pytest.mark.parametrize("content,suffix,match", [
    ("k = 0\n", ".toml", "invalid setting k"),
    ("k = [\n", ".toml", "s.toml: invalid TOML at end of document"),
    ("no_such_setting = 1\n", ".toml", "invalid setting no_such_setting"),
    ("k: 1\n", ".ini", "must be .toml"),
])
def test_bad_settings_files(tmp_path, content, suffix, match):
    f = tmp_path / f"s{suffix}"
    f.write_text(content)
    with pytest.raises(ConfigError, match=match):
        load_settings(f)


def test_bad_variable_and_missing_file(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="no such settings file"):
        load_settings(tmp_path / "missing.toml")
    monkeypatch.setenv("SCIENTIST_DEVICE", "tpu")
    with pytest.raises(ConfigError, match="^SCIENTIST_DEVICE must be 'auto', 'cpu' or 'cuda', not 'tpu'$"):
        load_settings()


@pytest.mark.parametrize("name", ["SCIENTIST_MCP_ALLOW", "SCIENTIST_SERVE_ALLOWED_HOSTS"])
def test_a_list_variable_that_is_not_json_names_itself(monkeypatch, name):
    monkeypatch.setenv(name, "/tmp")  # "settings: cannot read (SettingsError)" before
    with pytest.raises(ConfigError, match=f"{name}: cannot be read; a list is given as JSON"):
        load_settings()
    code, _out, lines = run_cli("settings")
    assert_one_line_error(code, lines, name)


def test_a_variable_that_names_no_setting_is_warned_of(monkeypatch):
    """SCIENTIST_KK=3 was ignored without a word; the same mistake in a settings file is an error."""
    import warnings

    monkeypatch.setenv("SCIENTIST_KK", "3")
    with pytest.warns(UserWarning, match=r"^SCIENTIST_KK: no setting of that name, so it is ignored .*did you mean "
                                         r"SCIENTIST_K\?$"):
        assert load_settings().k == Settings().k
    monkeypatch.delenv("SCIENTIST_KK")
    monkeypatch.setenv("SCIENTIST_K", "4")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a known one, and SCIENTIST_CONFIG, are not
        assert load_settings().k == 4


def test_cli_config_option_and_settings_command(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("k = 4\n")
    code, out, _ = run_cli("--config", f, "settings", "--json")
    assert code == 0 and json.loads(out)["k"] == 4
    # the global options are accepted after the command too
    code, out, _ = run_cli("settings", "--json", "--config", f)
    assert code == 0 and json.loads(out)["k"] == 4
    code, out, _ = run_cli("settings")
    assert code == 0 and "SCIENTIST_WORK_MEMORY_MB" in out
    code, _, lines = run_cli("ask", "how does it reduce noise?", "--config", tmp_path / "nope.toml")
    assert_one_line_error(code, lines, "no such settings file")


def test_preview_size_must_stay_within_its_limit(monkeypatch):
    monkeypatch.setenv("SCIENTIST_MCP_MAX_SIDE", "2000")
    with pytest.raises(ConfigError, match=r"^invalid settings: mcp_max_side \(2000\) is above mcp_max_side_limit"):
        load_settings()
    monkeypatch.setenv("SCIENTIST_MCP_MAX_SIDE_LIMIT", "4096")
    assert load_settings().mcp_max_side == 2000


def test_a_bad_value_given_in_code_is_a_value_error():
    """A ConfigError is also a ValueError (as an OptionError is): code that catches ValueError around a
    settings change catches a bad value, and it still says which setting and what it must be."""
    with pytest.raises(ValueError, match="^invalid setting device: must be 'auto', 'cpu' or 'cuda'$") as info:
        load_settings().updated(device="gpu")
    assert isinstance(info.value, ConfigError)
    with pytest.raises(ValueError, match="^unknown setting no_such$"):
        load_settings().updated(no_such=1)


def test_choices_written_out_for_start_up_speed_match_their_sources():
    """Settings and the CLI spell out formats and precisions (importing their modules would load torch or
    Pillow at start-up); they must stay what those modules accept."""
    import typing

    from scientist.cli.options import ImageFormat
    from scientist.restore.precision import PRECISIONS
    from scientist.restore.save import FORMATS

    fields = Settings.model_fields
    assert typing.get_args(fields["output_format"].annotation) == tuple(FORMATS) == tuple(f.value for f in ImageFormat)
    assert typing.get_args(fields["precision"].annotation) == PRECISIONS


def test_the_gain_range_is_said_as_it_is_checked():
    """The command line's --gain help is spelled out; it is kept in step with the range the settings check."""
    from scientist.cli.options import GainOpt
    from scientist.settings import GAIN_HELP, GAIN_RANGE, parse_gain, parse_strength

    said = f"{GAIN_RANGE[0]:g} to {GAIN_RANGE[1]:g}"
    assert said in GainOpt.__metadata__[0].help and said in GAIN_HELP
    assert parse_gain(GAIN_RANGE[1]) == GAIN_RANGE[1]
    with pytest.raises(ValueError, match=said):
        parse_gain(GAIN_RANGE[1] + 0.5)
    for typo in (True, "1_0"):  # float() would take them for 1 and 10
        with pytest.raises(ValueError, match=said):
            parse_gain(typo)
    assert str(parse_strength("-0")) == "0.0"


def test_a_chat_apps_gain_of_true_is_refused():
    from scientist.errors import OptionError
    from scientist.restore.options import RestoreOptions

    with pytest.raises(OptionError, match="gain: must be auto or a number from 1 to 12"):
        RestoreOptions(gain=True)


@pytest.mark.parametrize("name,value,said", [
    ("SCIENTIST_K", "abc", "SCIENTIST_K must be a whole number from 1 to 50, not 'abc'"),
    ("SCIENTIST_K", "0", "SCIENTIST_K must be a whole number from 1 to 50, not '0'"),
    ("SCIENTIST_TASK_CONFIDENCE", "high", "SCIENTIST_TASK_CONFIDENCE must be a number from 0 to 1, not 'high'"),
    ("SCIENTIST_MCP_MAX_SIDE", "4", "SCIENTIST_MCP_MAX_SIDE must be a whole number, 8 or more, not '4'"),
    ("SCIENTIST_STRENGTH", "2", "SCIENTIST_STRENGTH must be auto or a number between 0 and 1, not '2'"),
])
def test_a_bad_variable_is_named_with_what_it_must_be(tmp_path, monkeypatch, name, value, said):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == said
    code, _out, lines = run_cli("settings")
    assert_one_line_error(code, lines, said)
    # the variable is what is read (it overrides the file), so the variable is what is named
    toml = tmp_path / "s.toml"
    toml.write_text(f"{name.removeprefix('SCIENTIST_').lower()} = 1\n")
    with pytest.raises(ConfigError, match=f"^{name} must be"):
        load_settings(toml)
    monkeypatch.delenv(name)
    toml.write_text(f"{name.removeprefix('SCIENTIST_').lower()} = {value!r}\n".replace("'", '"'))
    with pytest.raises(ConfigError, match=f"^invalid setting {name.removeprefix('SCIENTIST_').lower()} "
                                          r"\(from s.toml\): must be"):
        load_settings(toml)


@pytest.mark.parametrize("content,suffix,said", [
    ("k = \n", ".toml", "s.toml: invalid TOML at line 1, column 5 (invalid value)"),
    ("k = 7\nk = 8\n", ".toml", "s.toml: invalid TOML at line 2, column 6 (cannot overwrite a value)"),
    ("k: [\n", ".yaml", "s.yaml: invalid YAML at line 2, column 1 ("),
    ("k: 7\n  strength: 1\n", ".yml", "s.yml: invalid YAML at line 2, column 11 ("),
    ("- 1\n- 2\n", ".yaml", "s.yaml: a settings file holds names with their values (such as k = 7 in TOML or k: 7 "
                            "in YAML), not a list"),  # an internal error (TypeError) once
    ("just words\n", ".yaml", "s.yaml: a settings file holds names with their values"),
    (b"k = \xff\n", ".toml", "s.toml: not UTF-8 text"),
    ("kk = 3\n", ".toml", "invalid setting kk (from s.toml): there is no such setting (did you mean k?)"),
])
def test_a_bad_settings_file_says_where_its_parser_stopped(tmp_path, content, suffix, said):
    f = tmp_path / f"s{suffix}"
    if isinstance(content, bytes):
        f.write_bytes(content)
    else:
        f.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_settings(f)
    assert str(info.value).startswith(said), str(info.value)
    code, _out, lines = run_cli("--config", f, "settings")
    assert_one_line_error(code, lines, said)
