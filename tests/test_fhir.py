import base64
import hashlib
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from recordpack.options import BuildOptions, ReadOptions
from recordpack.patient import load_patient
from recordpack.pipeline import build_packet
from tests.builders import EXAMPLE, require_tool


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("fhir")
    patient = load_patient(EXAMPLE / "patient.toml")
    patient = replace(patient, questions=(*patient.questions, "Is <b>this</b> & that right?"))
    options = BuildOptions(
        output=out / "dana.pdf",
        patient=patient,
        fhir=out / "dana.fhir.json",
        read=ReadOptions(ocr_lang=None),
        checklist=patient.condition,
    )
    result = build_packet(EXAMPLE, options)
    return result, json.loads((out / "dana.fhir.json").read_text()), out


def test_the_bundle_is_a_valid_fhir_document(built):
    result, data, out = built
    bundle = Bundle.model_validate(data)  # the R4B models: same elements as R4 for these resources
    kinds = [e.resource.__resource_type__ for e in bundle.entry]
    assert bundle.type == "document" and bundle.identifier and bundle.timestamp
    assert kinds[0] == "Composition" and kinds[1] == "Patient"
    full_urls = {e["fullUrl"] for e in data["entry"]}
    references = [ref for e in data["entry"] for ref in _references(e["resource"])]
    assert references and set(references) <= full_urls  # every reference resolves in the Bundle
    assert (out / "dana.fhir.json").stat().st_mode & 0o777 == 0o600
    assert result.fhir == out / "dana.fhir.json"


def test_one_resource_per_item_with_its_pages_and_hashes(built):
    result, data, out = built
    resources = [e["resource"] for e in data["entry"]]
    documents = [r for r in resources if r["resourceType"] == "DocumentReference"]
    studies = [r for r in resources if r["resourceType"] == "ImagingStudy"]
    items = result.timeline.items
    assert len(documents) == 1 + sum(1 for i in items if i.study is None)  # + the packet
    assert len(studies) == sum(1 for i in items if i.study is not None) >= 1
    packet = documents[0]["content"][0]["attachment"]
    digest = hashlib.sha1((out / "dana.pdf").read_bytes(), usedforsecurity=False).digest()
    assert packet["hash"] == base64.b64encode(digest).decode()
    assert packet["size"] == (out / "dana.pdf").stat().st_size
    pages = {p.item.index: p.first_page for p in result.placed}
    pdftotext = require_tool("pdftotext")
    checked = 0
    in_order = [i for i in items if i.study is None]  # the documents follow the timeline
    for doc, item in zip(documents[1:], in_order, strict=True):
        first, *originals = doc["content"]
        page = pages[item.index]
        assert doc["description"] == item.title
        assert first["attachment"]["url"] == f"dana.pdf#page={page}"
        text = subprocess.run(
            [pdftotext, "-f", str(page), "-l", str(page), str(out / "dana.pdf"), "-"],
            capture_output=True,
            text=True,
        ).stdout
        assert doc["description"][:20].split()[0] in text  # the page is the record's own
        for original in originals:
            attachment = original["attachment"]
            path = EXAMPLE / attachment["title"]
            if path.is_file():
                digest = hashlib.sha1(path.read_bytes(), usedforsecurity=False).digest()
                assert attachment["hash"] == base64.b64encode(digest).decode()
                assert attachment["size"] == path.stat().st_size
                checked += 1
    assert checked >= 5
    [packet] = [d for d in documents if d["content"][0]["attachment"].get("url") == "dana.pdf"]
    assert packet["content"][0]["attachment"]["size"] == (out / "dana.pdf").stat().st_size


def test_imaging_studies_carry_their_uids_and_series(built):
    result, data, _ = built
    studies = {
        r["description"]: r
        for e in data["entry"]
        if (r := e["resource"])["resourceType"] == "ImagingStudy"
    }
    for item in result.timeline.items:
        if item.study is None:
            continue
        resource = studies[item.title]
        assert resource["identifier"][0]["value"] == f"urn:oid:{item.study.uid}"
        assert [s["uid"] for s in resource["series"]] == [s.uid for s in item.study.series]
        assert resource["numberOfInstances"] == item.study.images
        assert {m["code"] for m in resource["modality"]} <= {"MR", "MG", "US", "CT", "SR"}


def test_the_cover_sections_are_narratives_with_untrusted_text_escaped(built):
    _, data, _ = built
    composition = data["entry"][0]["resource"]
    titles = [s["title"] for s in composition["section"]]
    assert titles[0] == "The question for the second opinion" and "Records" in titles
    question = composition["section"][0]["text"]["div"]
    assert "&lt;b&gt;this&lt;/b&gt; &amp; that" in question and "<b>" not in question
    patient = data["entry"][1]["resource"]
    assert patient["birthDate"] == "1968-07-22" and patient["gender"] == "female"
    assert patient["identifier"] == [{"type": {"text": "MRN"}, "value": "448812"}]


@pytest.mark.slow
def test_fhir_from_the_command_line_and_never_into_the_records(tmp_path: Path):
    run = [sys.executable, "-m", "recordpack", "build", str(EXAMPLE), "--no-ocr", "--no-cache"]
    into_records = ["--fhir", str(EXAMPLE / "x.fhir.json")]
    inside = subprocess.run(
        [*run, "-o", str(tmp_path / "p.pdf"), *into_records], capture_output=True, text=True
    )
    assert inside.returncode != 0 and "inside the records folder" in inside.stderr
    assert not (EXAMPLE / "x.fhir.json").exists() and not (tmp_path / "p.pdf").exists()
    done = subprocess.run(
        [*run, "-o", str(tmp_path / "p.pdf"), "--fhir", str(tmp_path / "p.json"), "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["fhir"] == str(tmp_path / "p.json")
    assert json.loads((tmp_path / "p.json").read_text())["resourceType"] == "Bundle"


def _references(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []
