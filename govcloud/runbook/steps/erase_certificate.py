"""Certificate of sanitization, one per volume (NIST SP 800-88 Rev. 1, Appendix G's sample
certificate; article 58's secure erase): JSON (schemas/erase-certificate.schema.json) + HTML.

The fields follow Appendix G: the person performing the sanitization; the media (type, make,
model, serial or other identifier, property number, source, classification, whether it was
backed up and where); the sanitization (method Clear/Purge/Destroy, technique, tool and its
version); the verification; the post-sanitization destination; the date; the signature lines
of the person performing and of the validator (blank, to be signed).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from govcloud.runbook.engine import output
from govcloud.schemas import check_output

from .erase import Person, Volume, VolumesFile

SCHEMA = "erase-certificate.schema.json"
STANDARD = "NIST SP 800-88 Rev. 1, Guidelines for Media Sanitization (Appendix G: certificate of sanitization)"


def _person(p: Person) -> dict[str, str]:
    d = {"name": p.name, "organisation": p.organisation}
    d.update({k: v for k, v in (("title", p.title), ("location", p.location), ("contact", p.contact)) if v})
    return d


def build(vf: VolumesFile, vol: Volume, *, contract: str, before: dict[str, Any], after: dict[str, Any],
          proof: dict[str, dict[str, str]], export: dict[str, Any] | None, finished: str) -> dict[str, Any]:
    """The certificate of ``vol`` from its before/after proof records."""
    if vol.kind == "luks2":
        b, a = before["state"], after["state"]
        sanit = {"method": "Purge", "technique": "cryptographic erase",
                 "details": (f"LUKS2 volume (UUID {b.get('uuid')}): cryptsetup luksErase destroyed all "
                             f"{b['keyslots']} keyslot(s) and with them the only copies of the wrapped media "
                             "encryption key; the encrypted data on the device can no longer be decrypted"),
                 "tool": a.get("tool") or b.get("tool") or "cryptsetup"}
        ver = {"method": "key test", "passed": True,
               "details": (f"before: the vaulted key opened the volume (cryptsetup open --test-passphrase exit "
                           f"{b['key_test_exit']}, {b['keyslots']} keyslot(s)); after: the same key does not "
                           f"(exit {a['key_test_exit']}: {a.get('key_test_message') or 'no usable keyslot'}), "
                           f"{a['keyslots']} keyslot(s) left")}
        serial, size = vol.media_field("serial") or f"LUKS UUID {b.get('uuid')}", b.get("size")
    else:
        a = after["state"]
        sanit = {"method": "Clear", "technique": "overwrite",
                 "details": f"one pass of byte 0x{a['pattern']} over all {a['size']} bytes of the device",
                 "tool": a.get("tool", "govcloud erase_overwrite.py")}
        ver = {"method": "full", "passed": True,
               "details": (f"full read-back: {a['verified']} of {a['size']} bytes read, {a['mismatched']} differ "
                           f"from 0x{a['pattern']}; SHA-256 of the device after: {a['sha256']}")}
        serial, size = vol.media_field("serial") or f"{vol.host}:{vol.device}", a["size"]
    sanit.update(started=before["at"], finished=finished)
    backup = vol.media_field("backup")
    if backup:
        backup_doc = {"made": "yes", "where": backup}
    elif export:
        backup_doc = {"made": "yes", "where": (f"exported to the court before erase: export manifest SHA-256 "
                                               f"{export.get('manifest_sha256')}, {export.get('accepted', '')}")}
    else:
        backup_doc = {"made": "unknown", "where": "not recorded"}
    performing = _person(vf.operator)
    validator = _person(vf.validator) if vf.validator else {"name": "", "organisation": ""}
    cert: dict[str, Any] = {
        "kind": "govcloud/erase-certificate", "version": 1, "standard": STANDARD, "contract": contract,
        "clause": "article-58", "system": vf.system, "certificate_id": f"{vf.system}/{vol.host}/{vol.id}",
        "person_performing": performing,
        "media": {
            "volume_id": vol.id, "host": vol.host, "device": vol.device, "size_bytes": size,
            "media_type": vol.media_field("media_type", "virtual block device"),
            "make": vol.media_field("make", "not recorded"), "model": vol.media_field("model", "not recorded"),
            "serial": serial, "source": f"host {vol.host} of system {vf.system}",
            "backup": backup_doc,
            **{k: vol.media_field(k) for k in ("property_number", "classification") if vol.media_field(k)},
        },
        "sanitization": sanit,
        "verification": ver,
        "post_sanitization_classification": "unclassified (no recoverable data)",
        "destination": vf.destination,
        "date": finished,
        "proof": proof,
        "signatures": [
            {"role": "person performing sanitization", "name": performing["name"],
             "title": performing.get("title", ""), "organisation": performing["organisation"],
             "signature": None, "date": finished[:10]},
            {"role": "validator", "name": validator["name"], "title": validator.get("title", ""),
             "organisation": validator["organisation"], "signature": None, "date": None},
        ],
    }
    if export:
        cert["export"] = export
    check_output(cert, SCHEMA)
    return cert


def write(cert: dict[str, Any], directory: Path) -> tuple[Path, bool]:
    """``<dir>/<volume_id>.json`` (+ .html) exactly once; returns (json path, written now?).

    The HTML is written first and the JSON last: the JSON's existence is the record that the
    volume is certified. A run killed between the two rewrites only the HTML (the same content).
    """
    vid = cert["media"]["volume_id"]
    js = directory / f"{vid}.json"
    if js.exists():
        return js, False
    output.write_text(directory / f"{vid}.html", render_html(cert))
    return js, output.write_json_once(js, cert)


def render_html(cert: dict[str, Any]) -> str:
    e = html.escape
    m, s, v = cert["media"], cert["sanitization"], cert["verification"]
    p = cert["person_performing"]

    def rows(items: list[tuple[str, Any]]) -> str:
        return "".join(f"<tr><th>{e(k)}</th><td>{e('' if x is None else str(x))}</td></tr>" for k, x in items)

    sig = "".join(
        f"<tr><th>{e(x['role'])}</th><td>{e(x['name'])}{' — ' + e(x['title']) if x.get('title') else ''}"
        f"{', ' + e(x['organisation']) if x.get('organisation') else ''}</td>"
        f"<td>signature: ____________________</td><td>date: {e(x['date'] or '__________')}</td></tr>"
        for x in cert["signatures"])
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Certificate of sanitization {e(m['volume_id'])}</title>"
        "<style>body{font-family:sans-serif;max-width:60em}th{text-align:left;vertical-align:top;padding-right:1em}"
        "table{border-collapse:collapse;margin-bottom:1em}td,th{border-bottom:1px solid #ccc;padding:.2em}</style>"
        "</head><body>"
        f"<h1>Certificate of sanitization</h1><p>{e(cert['standard'])}. Contract {e(cert['contract'])}, "
        f"{e(cert['clause'])} (secure erase at exit). Certificate {e(cert['certificate_id'])}.</p>"
        "<h2>Person performing sanitization</h2><table>"
        + rows([("name", p["name"]), ("title", p.get("title", "")), ("organisation", p["organisation"]),
                ("location", p.get("location", "")), ("contact", p.get("contact", ""))])
        + "</table><h2>Media information</h2><table>"
        + rows([("volume", m["volume_id"]), ("host and device", f"{m['host']}:{m['device']}"),
                ("size (bytes)", m.get("size_bytes")), ("media type", m["media_type"]), ("make / vendor", m["make"]),
                ("model", m["model"]), ("serial number / identifier", m["serial"]),
                ("property number", m.get("property_number", "")), ("source", m["source"]),
                ("classification", m.get("classification", "")),
                ("backed up", f"{m['backup']['made']}: {m['backup']['where']}")])
        + "</table><h2>Sanitization details</h2><table>"
        + rows([("method", s["method"]), ("technique", s["technique"]), ("details", s["details"]),
                ("tool used (version)", s["tool"]), ("started", s.get("started")), ("finished", s.get("finished")),
                ("verification method", v["method"]), ("verification", v["details"]),
                ("post-sanitization classification", cert.get("post_sanitization_classification", ""))])
        + "</table><h2>Media destination</h2><table>"
        + rows([("destination", cert["destination"]), ("date", cert["date"])])
        + "</table><h2>Proof records</h2><table>"
        + rows([(k, f"{x['path']} (SHA-256 {x['sha256']})") for k, x in cert["proof"].items()])
        + f"</table><h2>Signatures</h2><table>{sig}</table></body></html>\n")
