"""docs/schema/*.json: valid JSON Schemas, chosen by the command line, and strict enough
to catch a changed contract (every ocsp-lint run of the suite is validated through
schemas.check; see schemas.py)."""

import copy
import json

import pytest

import httpd as H
import schemas

NAMES = ["ocsp-lint.schema.json", "ocsp-lint-vhosts.schema.json",
         "ocsp-lint-probe.schema.json", "ocsp-status.schema.json"]


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_valid(name):
    schemas.validator(name)   # check_schema raises on an invalid schema


def test_schema_for_command_lines():
    assert schemas.schema_for(["--format", "json", "x.conf"]) == "ocsp-lint.schema.json"
    assert schemas.schema_for(["--vhosts", "--format=json"]) == "ocsp-lint-vhosts.schema.json"
    assert schemas.schema_for(["probe", "-F", "json", "h"]) == "ocsp-lint-probe.schema.json"
    assert schemas.schema_for(["--format", "sarif"]) is None
    assert schemas.schema_for(["x.conf"]) is None


@pytest.fixture
def findings_doc(tmp_path, lint_bin):
    conf = tmp_path / "main.conf"
    conf.write_text("LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n"
                    "<VirtualHost *:443>\nServerName a.test\nSSLEngine on\n"
                    f"SSLCertificateFile {tmp_path}/absent.pem\n"
                    f"SSLCertificateKeyFile {tmp_path}/absent.key\n"
                    f"SSLCertificateChainFile {tmp_path}/absent-chain.pem\n</VirtualHost>\n")
    r = H.run_lint(["--format", "json", "--no-envvars", "--fail-on", "note", "-d", tmp_path,
                    conf])
    assert r.returncode == 1 and r.data, r.stderr
    return r.data


def test_every_member_is_described(findings_doc):
    """The document of a config with a finding and skipped checks validates, and each
    way of breaking the contract is caught."""
    v = schemas.validator("ocsp-lint.schema.json")
    assert not list(v.iter_errors(findings_doc))
    assert findings_doc["startup"] == "unknown"
    assert [s["reason"] for s in findings_doc["skipped"]] == ["missing"] * 3
    assert [f["rule"] for f in findings_doc["findings"]] == ["OA405"]
    breaks = {
        "a new top-level member": lambda d: d.update(surprise=1),
        "a new finding member": lambda d: d["findings"][0].update(extra=True),
        "a missing fingerprint": lambda d: d["findings"][0].pop("fingerprint"),
        "an unknown startup": lambda d: d.update(startup="maybe"),
        "an unknown skip reason": lambda d: d["skipped"][0].update(reason="gone"),
        "an unknown stapling": lambda d: d["vhosts"][0].update(stapling="perhaps"),
        "no summary without an error": lambda d: d.pop("summary"),
    }
    for what, brk in breaks.items():
        doc = copy.deepcopy(findings_doc)
        brk(doc)
        assert list(v.iter_errors(doc)), f"the schema accepts {what}"


def test_check_raises_on_a_broken_document():
    doc = {"version": "x", "probes": [{"target": "h"}]}
    with pytest.raises(schemas.SchemaError):
        schemas.check(["probe", "--format", "json", "h"], json.dumps(doc))
