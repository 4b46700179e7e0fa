"""Benchmark the secure erase (article 58, NIST SP 800-88 Rev. 1) on one booted lab host.

Prints, for a plain volume of SIZE MiB and a LUKS2 volume:
  - `dd` of zeros over the plain volume (oflag=direct, conv=fsync): the write bound on this machine,
  - the erase playbook's inspect phase (Ansible overhead, nothing written),
  - its sanitize phase on the plain volume: the pattern over the whole device + a full read-back,
  - inspect and sanitize (luksErase + the key test) of the LUKS2 volume.
No target is set here: the figures show what the full read-back costs beside the write alone.

    .venv/bin/python benchmarks/erase.py [--mib 256]

Needs root, like the lab (govcloud.labhosts).
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from govcloud.labhosts import Lab  # noqa: E402
from govcloud.runbook.steps.erase import VaultKey, Volume, luks_state, run_phase  # noqa: E402

HOST, KEY = "bench-erase-01", "bench-erase-key"


def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return time.monotonic() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=256)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Lab.start(names=[HOST], progress=lambda s: None) as lab:
        work = Path(tmp)
        inv = lab.state_dir / "inventory.yml"
        plain_v, luks_v = lab.attach_volume(HOST, args.mib), lab.attach_volume(HOST, 32)
        lab.ssh(HOST, "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q cryptsetup-bin >/dev/null",
                timeout=300)
        lab.ssh(HOST, f"sudo -n /sbin/cryptsetup luksFormat --type luks2 --batch-mode --pbkdf pbkdf2 "
                      f"--pbkdf-force-iterations 1000 --key-file=- {luks_v.device}", input_text=KEY)
        (work / "pw").write_text("bench-vault-password\n")
        (work / "key.yml").write_text(f"k: {KEY}\n")
        subprocess.run([str(Path(sys.executable).parent / "ansible-vault"), "encrypt", "--vault-password-file",
                        str(work / "pw"), str(work / "key.yml")], check=True, capture_output=True)
        plain = Volume(HOST, "bench-plain", plain_v.device, "plain", pattern="5a")
        luks = Volume(HOST, "bench-luks", luks_v.device, "luks2", key=VaultKey(work / "key.yml", "k"))

        token = secrets.token_hex(16)  # this benchmark's overwrite (erase-volume.yml runs it as a unit)

        def phase(vol: Volume, name: str) -> dict:
            return run_phase(vol, name, inventory=inv, private_dir=work / "ansible" / vol.id, vault_pw=work / "pw",
                             token=token, size=args.mib << 20)

        t_dd, _ = timed(lambda: lab.ssh(HOST, f"sudo -n dd if=/dev/zero of={plain.device} bs=1M count={args.mib} "
                                              "oflag=direct conv=fsync status=none", timeout=3600))
        script = (Path(__file__).resolve().parents[1] / "playbooks/runbooks/files/erase_overwrite.py").read_text()
        t_sc, _ = timed(lambda: lab.ssh(HOST, f"sudo -n python3 - clear {plain.device} a5", input_text=script,
                                        timeout=3600))
        t_pi, _ = timed(lambda: phase(plain, "inspect"))
        t_ps, res = timed(lambda: phase(plain, "sanitize"))
        assert res["mismatched"] == 0 and res["verified"] == args.mib << 20, res
        t_li, before = timed(lambda: luks_state(phase(luks, "inspect")))
        t_ls, after = timed(lambda: luks_state(phase(luks, "sanitize")))
        assert before["key_opens"] and not after["key_opens"] and after["keyslots"] == 0
        mb = args.mib * 1.048576
        print(f"plain volume {args.mib} MiB on {HOST}")
        print(f"  dd zeros (write only, direct I/O)       {t_dd:7.1f} s  {mb / t_dd:7.1f} MB/s")
        print(f"  erase_overwrite.py alone over SSH       {t_sc:7.1f} s  {mb / t_sc:7.1f} MB/s of device "
              "(pattern written, fsync, every byte read back)")
        print(f"  erase playbook, inspect (overhead)      {t_pi:7.1f} s")
        print(f"  erase playbook, Clear + full read-back  {t_ps:7.1f} s  (as a systemd unit, "
              f"the unit's own {res['seconds']} s)")
        print("LUKS2 volume 32 MiB")
        print(f"  inspect (key test before)               {t_li:7.1f} s")
        print(f"  luksErase + key test after              {t_ls:7.1f} s")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
