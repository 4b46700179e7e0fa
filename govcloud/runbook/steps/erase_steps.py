"""Built-ins of the exit runbook's secure erase (article 58; NIST SP 800-88 Rev. 1):

- check ``erase.ready`` {manifest, acceptance, confirm, system}: the gate. It *refuses* (raises
  ``EraseRefused``: the step fails, exit 1, the journal records why, nothing is erased) unless the
  export manifest exists and a verified step of this run lists it as evidence with its current
  SHA-256, the court's acceptance is valid and carries that digest, and confirm names the system.
- action ``erase.volumes`` {inventory, volumes, out}: sanitizes every volume of the volumes file
  that has no certificate yet, one at a time, and writes ``out/certificates/<id>.json|.html``.
  It runs only as the action of a step whose precondition is ``erase.ready``, and re-checks it.
  Every refusal comes before the first byte of *any* volume changes: each LUKS2 key is read on the
  controller (the vault password decrypts the file, the variable holds a passphrase), then every
  volume not yet certified is inspected on its host, read only (erase-volume.yml refuses a path
  that is not a block device or is a symlink, a mounted device or one in use; a LUKS2 key that does
  not open the header is refused here), its ``proof/<id>/before.json`` written the first time and
  compared on every later attempt (the same host, device, kind, major:minor, size and LUKS2 UUID:
  another device under the name or an edited volumes file is refused), and no block device may be
  listed twice. The sanitize phase of the playbook checks the device and the key again right
  before it writes.
- check ``erase.verified`` {volumes, out}: every volume has its certificate, valid, whose proof
  records are on disk, inside the run directory (a proof path leaving it is refused naming the
  certificate and the field), with the digests the certificate names and show the volume sanitized.
A dry run (the engine's ``--dry-run``) lists every volume and how it would be sanitized.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from govcloud.containment import contained
from govcloud.errors import InputError
from govcloud.jsondoc import json_issues, load_json
from govcloud.runbook.engine import output
from govcloud.runbook.engine.context import RunContext
from govcloud.runbook.engine.errors import StepFailed
from govcloud.runbook.engine.journal import VERIFIED, now, read_journal, sha256_file
from govcloud.runbook.engine.model import render
from govcloud.runbook.engine.registry import ActionResult, CheckResult, action, check, plan
from govcloud.runbook.remote.transfer import inventory_endpoints

from . import erase_certificate
from .acceptance import load_acceptance, manifest_digest, matches
from .erase import (
    EraseRefused,
    Volume,
    VolumesFile,
    check_key,
    load_volumes,
    luks_state,
    plan_lines,
    run_phase,
    vault_password_file,
)

CONTRACT = "2025095"


# ------------------------------------------------------------------ the gate
def _export_verified(ctx: RunContext, manifest_rel: str, digest: str) -> str | None:
    """The id of a verified step whose evidence is this manifest with this digest, or None."""
    target = ctx.path(manifest_rel)
    found = None
    for r in read_journal(ctx.run_dir).records:
        if r.get("event") != "step-end" or r.get("result") != VERIFIED:
            continue
        for ev in r.get("evidence") or []:
            try:
                same = ctx.path(ev["path"]) == target
            except (KeyError, ValueError, TypeError, InputError):
                continue
            if same and ev.get("sha256") == digest:
                found = r.get("step")
    return found


def gate(ctx: RunContext, args: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Reasons the erase must not run (empty when it may), and what the certificates record."""
    reasons: list[str] = []
    info: dict[str, Any] = {}
    system = str(args.get("system", ""))
    if ctx.journal is None:
        reasons.append("this is a dry run: nothing is erased")
    manifest_rel = str(args["manifest"])
    manifest = ctx.path(manifest_rel)
    if not manifest.is_file():
        reasons.append(f"no export manifest at {manifest}: the data has not been exported")
    else:
        digest = manifest_digest(manifest)
        info.update(manifest=manifest_rel, manifest_sha256=digest)
        step = _export_verified(ctx, manifest_rel, digest)
        if step is None:
            reasons.append(f"{manifest_rel} (SHA-256 {digest}) is not the verified evidence of any step in this "
                           "run's journal: the export is not verified")
        else:
            info["export_step"] = step
    acc_file = str(args.get("acceptance") or "")
    if not acc_file:
        reasons.append("no acceptance file given: the court has not accepted the export")
    elif not Path(acc_file).is_file():
        reasons.append(f"no acceptance at {acc_file}: the court has not accepted the export yet")
    else:
        try:
            acc = load_acceptance(acc_file)
        except InputError as exc:
            reasons.append(f"the acceptance is not valid: {exc}")
        else:
            if manifest.is_file():
                m = matches(acc, manifest, system, contract=CONTRACT)
                if not m.ok:
                    reasons.append(m.detail)
                else:
                    info.update(acceptance=str(Path(acc_file).resolve()), accepted=acc.describe())
    confirm = str(args.get("confirm") or "")
    if not system:
        reasons.append("no system named")
    elif confirm != system:
        reasons.append(f"--confirm must name the system {system!r} (got {confirm!r})" if confirm
                       else f"no --confirm {system}: the erase needs the system named to confirm it")
    return reasons, info


def _refuse(ctx: RunContext, reasons: list[str]) -> EraseRefused:
    if ctx.journal is not None:
        ctx.journal.append("erase-refused", step=None, reasons=reasons)
    return EraseRefused("erase refused, nothing erased: " + "; ".join(reasons))


@check("erase.ready")
def erase_ready(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    reasons, info = gate(ctx, args)
    if reasons:
        raise _refuse(ctx, reasons)
    return CheckResult(True, f"export verified (step {info['export_step']}, manifest SHA-256 "
                             f"{info['manifest_sha256']}), {info['accepted']}, confirmed for {args['system']}")


# ------------------------------------------------------------------ the erase
@plan("erase.volumes")
def erase_plan(args: dict[str, Any]) -> list[str]:
    vf = load_volumes(args["volumes"])
    return [f"erase ({len(vf.volumes)} volume(s) of {vf.system}, certificates in {args.get('out', 'erase/')}"
            "certificates/):", *plan_lines(vf)]


def _state(vol: Volume, res: dict[str, Any]) -> dict[str, Any]:
    return luks_state(res) if vol.kind == "luks2" else {k: res.get(k) for k in (
        "size", "rdev", "luks_magic", "written", "verified", "mismatched", "first_mismatch", "sha256", "pattern", "tool",
        "started", "seconds", "attached")
        if k in res}


def _sanitized(vol: Volume, after: dict[str, Any]) -> str | None:
    """Why ``after`` does not prove the volume sanitized, or None."""
    if vol.kind == "luks2":
        if after.get("key_opens"):
            return "the vaulted key still opens the volume"
        if after.get("keyslots"):
            return f"{after['keyslots']} keyslot(s) still in the header"
        return None
    size = after.get("size")
    if not size or after.get("written") != size or after.get("verified") != size:
        return f"overwrite incomplete: {after.get('written')} written, {after.get('verified')} read back of {size} bytes"
    if after.get("mismatched"):
        return f"{after['mismatched']} byte(s) differ from the pattern, first at offset {after.get('first_mismatch')}"
    return None


def _in_run(ctx: RunContext, path: str | Path, *, file: str | Path, field: str) -> Path:
    """``path`` (relative to the run directory, or absolute) resolved, symlinks followed; an
    ``InputError`` naming ``file`` and ``field`` when it leaves the run directory."""
    return contained(ctx.run_dir, path, file=file, field=field)


def _proof_dir(ctx: RunContext, out: Path, vol: Volume, vf: VolumesFile) -> Path:
    return _in_run(ctx, out / "proof" / vol.id, file=vf.file, field=f"{vol.at}.id (its proof folder)")


def _identity_problems(vol: Volume, before: dict[str, Any], now_state: dict[str, Any]) -> list[str]:
    """How the device inspected now differs from the one ``before.json`` recorded (empty: the same)."""
    problems = [f"{k} {before.get(k)!r} in before.json, {v!r} in the volumes file"
                for k, v in (("host", vol.host), ("device", vol.device), ("kind", vol.kind)) if before.get(k) != v]
    b = before.get("state") or {}
    for k in ("rdev", "size", "uuid"):
        if b.get(k) not in (None, "") and now_state.get(k) not in (None, "") and b[k] != now_state[k]:
            problems.append(f"{k} {b[k]} when inspected before, {now_state[k]} now")
    return problems


def inspect_volume(ctx: RunContext, vf: VolumesFile, vol: Volume, *, inventory: Path, out: Path) -> dict[str, Any]:
    """Look at one volume (read only) and return its ``before.json`` record, written the first time.
    Refuses (``StepFailed``, nothing written to any volume) when the host refuses the device (not a
    block device, mounted, in use), when a LUKS2 key does not open it, or when the device is not
    the one an earlier attempt of this run inspected (another device under the name, an edited
    volumes file)."""
    where = f"host {vol.host}: {vol.device} ({vol.id}, {vol.kind})"
    before_p = _proof_dir(ctx, out, vol, vf) / "before.json"
    private = ctx.path(f"ansible/erase/{vol.id}")
    state = _state(vol, run_phase(vol, "inspect", inventory=inventory, private_dir=private,
                                  vault_pw=vault_password_file(vf)))
    if not before_p.exists():
        if vol.kind == "luks2" and not (state["luks2_header"] and state["keyslots"] and state["key_opens"]):
            raise StepFailed(f"{where}: the vaulted key does not open it before the erase (LUKS2 header "
                             f"{'present' if state['luks2_header'] else 'absent'}, {state['keyslots']} keyslot(s), "
                             f"key test exit {state['key_test_exit']}): a cryptographic erase could not be proven; "
                             "refused, nothing erased")
        output.write_json_once(before_p, {"volume": vol.id, "host": vol.host, "device": vol.device,
                                          "kind": vol.kind, "at": now(), "state": state})
    before = load_json(before_p)
    if not isinstance(before, dict) or not isinstance(before.get("state"), dict):
        raise InputError.one(before_p, "state", "expected the record of the inspection before the erase")
    problems = _identity_problems(vol, before, state)
    if problems:
        rel = before_p.relative_to(ctx.run_dir.resolve())
        raise StepFailed(f"{where}: not the device inspected before the erase ({rel}): {'; '.join(problems)}: "
                         "another device has this name or the volumes file changed; "
                         "refused, nothing erased")
    b = before["state"]
    if vol.kind == "luks2" and not state["key_opens"] and not (state["keyslots"] < int(b.get("keyslots") or 0)):
        raise StepFailed(f"{where}: the vaulted key does not open it (key test exit {state['key_test_exit']}, "
                         f"{state['keyslots']} keyslot(s); it opened it when inspected before): "
                         "refused, nothing erased")
    return before


def sanitize_volume(ctx: RunContext, vf: VolumesFile, vol: Volume, *, inventory: Path, out: Path,
                    export: dict[str, Any], before: dict[str, Any]) -> bool:
    """Sanitize one inspected volume and certify it; False when it was certified already (not touched)."""
    certs = _in_run(ctx, out / "certificates", file=vf.file, field=f"{vol.at}.id (its certificate folder)")
    if (certs / f"{vol.id}.json").exists():
        return False
    proof = _proof_dir(ctx, out, vol, vf)
    before_p, after_p = proof / "before.json", proof / "after.json"
    private = ctx.path(f"ansible/erase/{vol.id}")
    pw = vault_password_file(vf)
    where = f"host {vol.host}: {vol.device} ({vol.id}, {vol.kind})"
    if ctx.journal is not None:
        ctx.journal.append("erase-volume", step=None, volume=vol.id, host=vol.host, device=vol.device,
                           kind=vol.kind, how=vol.how())
    ctx.note(f"{where}: {vol.how()}")
    # this run's overwrite of the volume: the same token on every resume, another in another run
    token = hashlib.sha256(before_p.read_bytes() + str(ctx.run_dir.resolve()).encode()).hexdigest()[:32]
    after_state = _state(vol, run_phase(vol, "sanitize", inventory=inventory, private_dir=private, vault_pw=pw,
                                        token=token, size=before["state"].get("size"), expect=before["state"],
                                        on_progress=lambda line: ctx.note(f"{where}: {line}")))
    output.write_json(after_p, {"volume": vol.id, "host": vol.host, "device": vol.device, "kind": vol.kind,
                                "at": now(), "state": after_state})
    why = _sanitized(vol, after_state)
    if why:
        raise StepFailed(f"{where}: not sanitized: {why}")
    if vol.kind == "plain":
        before = {**before, "size": after_state["size"]}
    proof_doc = {k: {"path": str(p.relative_to(ctx.run_dir.resolve())), "sha256": sha256_file(p)}
                 for k, p in (("before", before_p), ("after", after_p))}
    cert = erase_certificate.build(vf, vol, contract=CONTRACT, before=before,
                                   after={"state": after_state}, proof=proof_doc, export=export, finished=now())
    path, written = erase_certificate.write(cert, certs)
    if written and ctx.journal is not None:
        ctx.journal.append("erase-certificate", step=None, volume=vol.id, path=str(path.relative_to(
            ctx.run_dir.resolve())), sha256=sha256_file(path))
    ctx.note(f"{where}: sanitized and verified; certificate {path.name}")
    return written


@action("erase.volumes")
def erase_volumes(ctx: RunContext, args: dict[str, Any]) -> ActionResult:
    step = ctx.step
    pre = step.precondition if step else None
    if pre is None or pre.kind != "builtin" or pre.spec.get("name") != "erase.ready":
        raise _refuse(ctx, ["erase.volumes runs only in a step whose precondition is erase.ready"])
    gate_args = dict(render(dict(pre.spec), ctx.params).get("with") or {})
    reasons, info = gate(ctx, gate_args)  # checked again right before the first byte changes
    if reasons:
        raise _refuse(ctx, reasons)
    vf = load_volumes(args["volumes"])
    if vf.system != gate_args.get("system"):
        raise _refuse(ctx, [f"{vf.file}: system: the volumes file is for {vf.system!r}, "
                            f"the run for {gate_args.get('system')!r}"])
    hosts = inventory_endpoints(Path(args["inventory"]))
    unknown = sorted({v.host for v in vf.volumes} - set(hosts))
    if unknown:
        raise StepFailed(f"{vf.file}: hosts not in the inventory {args['inventory']}: {', '.join(unknown)}; "
                         "nothing was erased")
    out = ctx.path(args.get("out", "erase/"))
    inventory = Path(args["inventory"])
    certs = _in_run(ctx, out / "certificates", file=vf.file, field="(the certificate folder)")
    pending = [v for v in vf.volumes if not (certs / f"{v.id}.json").exists()]
    # Every refusal before the first byte of any volume changes: the keys on the controller, then
    # every volume not yet certified inspected on its host (read only), then no device twice.
    for vol in pending:
        check_key(vf, vol)
    befores = {vol.id: inspect_volume(ctx, vf, vol, inventory=inventory, out=out) for vol in pending}
    seen: dict[tuple[str, str], Volume] = {}
    for vol in pending:
        rdev = str(befores[vol.id]["state"].get("rdev") or "")
        other = seen.setdefault((vol.host, rdev), vol) if rdev else vol
        if other is not vol:
            raise StepFailed(f"{vf.file}: {vol.at}.device: {vol.host}:{vol.device} ({vol.id}) is the same block device "
                             f"({rdev}) as {other.device} ({other.id}): a device listed twice; refused, nothing erased")
    done, already = [], []
    for vol in vf.volumes:
        (done if vol in pending and sanitize_volume(ctx, vf, vol, inventory=inventory, out=out, export=info,
                                                     before=befores[vol.id])
         else already).append(vol.id)
    summary = {"system": vf.system, "volumes_file": str(vf.file), "at": now(),
               "certificates": [{"volume": v.id, "host": v.host, "device": v.device, "kind": v.kind,
                                 "path": f"certificates/{v.id}.json",
                                 "sha256": sha256_file(out / "certificates" / f"{v.id}.json")} for v in vf.volumes]}
    output.write_json(out / "summary.json", summary)
    return ActionResult({"sanitized_now": done, "certified_earlier": already, "volumes": len(vf.volumes)})


@check("erase.verified")
def erase_verified(ctx: RunContext, args: dict[str, Any]) -> CheckResult:
    vf = load_volumes(args["volumes"])
    out = ctx.path(args.get("out", "erase/"))
    problems: list[str] = []
    for vol in vf.volumes:
        cf = out / "certificates" / f"{vol.id}.json"
        if not cf.is_file():
            problems.append(f"{vol.id}: no certificate")
            continue
        try:
            cert = load_json(cf)
            issues = json_issues(cf, cert, erase_certificate.SCHEMA)
        except InputError as exc:
            problems.append(f"{vol.id}: {exc}")
            continue
        if issues:
            problems.append(f"{vol.id}: {issues[0]}")
            continue
        m = cert["media"]
        if (m["volume_id"], m["host"], m["device"]) != (vol.id, vol.host, vol.device):
            problems.append(f"{vol.id}: the certificate names {m['host']}:{m['device']} ({m['volume_id']})")
            continue
        try:
            # every path read from the certificate stays in the run directory (symlinks resolved)
            paths = {k: _in_run(ctx, rec["path"], file=cf, field=f"proof.{k}.path") for k, rec in cert["proof"].items()}
        except InputError as exc:
            problems.append(f"{vol.id}: {exc}")
            continue
        for k, rec in cert["proof"].items():
            p = paths[k]
            if not p.is_file() or sha256_file(p) != rec["sha256"]:
                problems.append(f"{vol.id}: proof {k} {rec['path']} missing or changed since the certificate")
                break
        else:
            try:
                after = load_json(paths["after"])["state"]
            except (InputError, KeyError, TypeError):
                problems.append(f"{vol.id}: proof after {cert['proof']['after']['path']} is not an erase record")
                continue
            why = _sanitized(vol, after)
            if why:
                problems.append(f"{vol.id}: {why}")
    if problems:
        return CheckResult(False, "; ".join(problems))
    return CheckResult(True, f"{len(vf.volumes)} volume(s) sanitized, each with its certificate and proof: "
                             + ", ".join(f"{v.host}:{v.device}" for v in vf.volumes))
