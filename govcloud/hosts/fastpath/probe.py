"""The read-only probe: one script, run once per host by the host's own Python, that reads everything
the playbooks' tasks would read and answers with one JSON line.

The controller sends the request (what to read, compiled from the playbooks by engine.py) on stdin;
the script is stdlib-only (``python3 -I -S -c``, as the collection's action-plugin probes run) and
writes nothing on the host. Secrets stay on the host: files are answered by their SHA-256, and a
password field of /etc/shadow is reduced to what the roles' conditions test — empty, locked ("!" or
"*"), or a hash — never the hash itself. Facts have the names and shapes of ansible.builtin.setup's
(min, virtual, hardware subsets) that the roles and the evidence read.
"""

from __future__ import annotations

PROBE = r'''
import fnmatch, grp, hashlib, json, os, platform, pwd, re, stat, subprocess, sys, time

CAP = 1 << 20          # bytes of a file or a command's output kept
HASH_CAP = 64 << 20    # largest file hashed
TIMEOUT = 30           # seconds per command

def owner(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None

def group(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return None

def stat_of(path):
    try:
        st = os.stat(path)
    except OSError:
        return {"exists": False}
    try:
        link = stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        link = False
    kind = "directory" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "other"
    out = {"exists": True, "type": kind, "link": link, "mode": "%04o" % stat.S_IMODE(st.st_mode),
           "uid": st.st_uid, "gid": st.st_gid, "owner": owner(st.st_uid), "group": group(st.st_gid),
           "size": st.st_size, "mtime": st.st_mtime, "sha256": None}
    if kind == "file":
        if st.st_size > HASH_CAP:
            out["error"] = "larger than %d bytes: not hashed" % HASH_CAP
        else:
            try:
                h = hashlib.sha256()
                with open(path, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 16), b""):
                        h.update(chunk)
                out["sha256"] = h.hexdigest()
            except OSError as exc:
                out["error"] = str(exc)
    return out

def read_of(path):
    try:
        with open(path, "rb") as fh:
            data = fh.read(CAP + 1)
    except OSError as exc:
        return {"error": "%s: %s" % (type(exc).__name__, exc.strerror or exc)}
    if len(data) > CAP:
        return {"error": "larger than %d bytes" % CAP}
    return {"content": data.decode("utf-8", "replace")}

def run(cmd, shell):
    env = dict(os.environ, LC_ALL="C", SYSTEMD_COLORS="0", SYSTEMD_PAGER="")
    try:
        p = subprocess.run(cmd, shell=shell, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        return {"rc": None, "error": "timed out after %d s" % TIMEOUT}
    except OSError as exc:
        return {"rc": None, "error": "%s: %s" % (type(exc).__name__, exc.strerror or exc)}
    return {"rc": p.returncode, "stdout": p.stdout[:CAP].decode("utf-8", "replace"),
            "stderr": p.stderr[:CAP].decode("utf-8", "replace")}

def mask(field):
    rest = field.lstrip("!*")
    return field[:len(field) - len(rest)] + ("<hash>" if rest else "")

def getent(db):
    out = {}
    p = run(["getent", db], False)
    for line in (p.get("stdout") or "").splitlines():
        f = line.split(":")
        if db == "shadow" and len(f) > 1:
            f[1] = mask(f[1])
        out.setdefault(f[0], f[1:])
    return out

def find(spec):
    found = []
    for d in spec.get("paths") or []:
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        for n in names:
            p = os.path.join(d, n)
            try:
                st = os.stat(p)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and any(fnmatch.fnmatch(n, pat) for pat in spec.get("patterns") or ["*"]):
                found.append({"path": p, "mtime": st.st_mtime, "size": st.st_size,
                              "mode": "%04o" % stat.S_IMODE(st.st_mode)})
    return found

def lines(path, sep="\n"):
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "replace").split(sep)
    except OSError:
        return []

def virtual():
    """As ansible's LinuxVirtual.get_virtual_facts decides for containers; DMI for common hypervisors."""
    kind, guest, found = None, set(), False
    def hit(tech, t=None):
        nonlocal kind, found
        guest.add(tech)
        if not found:
            kind, found = (t or tech), True
    for line in lines("/proc/1/cgroup"):
        if re.search(r"/docker(/|-[0-9a-f]+\.scope)", line): hit("docker")
        if re.search("/lxc/", line) or re.search("/machine.slice/machine-lxc", line): hit("lxc")
        if re.search("/system.slice/containerd.service", line): hit("containerd")
    for line in lines("/proc/1/environ", "\x00"):
        if re.search("container=lxc", line): hit("lxc")
        if re.search("container=podman", line): hit("podman")
        if re.search("^container=.", line): hit("container")
    if os.path.exists("/proc/vz") and not os.path.exists("/proc/lve"):
        hit("openvz")
    sc = "".join(lines("/run/systemd/container")).strip()
    if sc:
        hit(sc)
    if os.path.exists("/.dockerenv") or os.path.exists("/.dockerinit"):
        hit("docker")
    if guest & {"docker", "lxc", "podman", "openvz", "containerd"} or sc:
        guest.add("container")
    if not found:
        product = "".join(lines("/sys/class/dmi/id/product_name")).strip()
        vendor = "".join(lines("/sys/class/dmi/id/sys_vendor")).strip()
        for test, t in ((product in ("KVM", "KVM Server", "Bochs", "AHV"), "kvm"),
                        (product in ("OpenStack Compute", "OpenStack Nova"), "openstack"),
                        (vendor == "QEMU", "kvm"), (vendor == "Xen" or product.startswith("HVM domU"), "xen"),
                        (product.startswith("VMware") or vendor.startswith("VMware"), "VMware"),
                        (product == "VirtualBox" or vendor == "innotek GmbH", "virtualbox"),
                        (vendor == "Amazon EC2", "kvm"), (vendor == "Alibaba Cloud", "kvm")):
            if test:
                hit(t)
                break
    return {"virtualization_type": kind or "NA", "virtualization_role": "guest" if found else "NA",
            "virtualization_tech_guest": sorted(guest), "virtualization_tech_host": []}

def is_chroot():
    if os.environ.get("debian_chroot"):
        return True
    try:
        a, b = os.stat("/"), os.stat("/proc/1/root/.")
        return a.st_ino != b.st_ino or a.st_dev != b.st_dev
    except OSError:
        return None

def os_release():
    rel = {}
    for line in lines("/etc/os-release"):
        if "=" in line:
            k, v = line.split("=", 1)
            rel[k.strip()] = v.strip().strip('"')
    names = {"debian": "Debian", "ubuntu": "Ubuntu", "centos": "CentOS", "rhel": "RedHat", "kylin": "Kylin",
             "uos": "Uos", "openeuler": "openEuler", "rocky": "Rocky", "almalinux": "AlmaLinux"}
    ident = rel.get("ID", "")
    return {"distribution": names.get(ident, rel.get("NAME", ident).split()[0] if rel else "NA"),
            "distribution_major_version": rel.get("VERSION_ID", "NA").split(".")[0],
            "distribution_release": rel.get("VERSION_CODENAME", "NA")}

def hardware():
    cpus = sum(1 for l in lines("/proc/cpuinfo") if l.startswith("processor"))
    mem = next((int(l.split()[1]) // 1024 for l in lines("/proc/meminfo") if l.startswith("MemTotal:")), None)
    devices = {}
    try:
        names = sorted(os.listdir("/sys/block"))
    except OSError:
        names = []
    for n in names:
        size = "".join(lines("/sys/block/%s/size" % n)).strip()
        sector = "".join(lines("/sys/block/%s/queue/logical_block_size" % n)).strip() or "512"
        devices[n] = {"sectors": int(size) if size.isdigit() else 0, "sectorsize": sector}
    mounts = []
    for line in lines("/proc/mounts"):
        f = line.split()
        if len(f) < 3 or (not f[0].startswith(("/", "\\")) and ":/" not in f[0] and f[2] != "none"):
            continue
        try:
            sv = os.statvfs(f[1])
            total = sv.f_frsize * sv.f_blocks
        except OSError:
            total = 0
        mounts.append({"mount": f[1].replace("\\040", " "), "device": f[0], "fstype": f[2], "size_total": total})
    return {"processor_vcpus": cpus, "memtotal_mb": mem, "devices": devices, "mounts": mounts}

def facts():
    u = os.uname()
    out = {"is_chroot": is_chroot(), "architecture": u.machine, "kernel": u.release,
           "hostname": platform.node().split(".")[0], "date_time": {"epoch": str(int(time.time()))},
           "python": {"executable": sys.executable}}
    out.update(virtual())
    out.update(os_release())
    out.update(hardware())
    return out

def main():
    try:
        req = json.loads(sys.stdin.readline() or "{}")
    except ValueError as exc:
        print(json.dumps({"errors": ["request: %s" % exc]}))
        return
    ans, errors = {}, []
    def step(name, fn):
        try:
            ans[name] = fn()
        except Exception as exc:  # an unexpected host: say what failed, answer the rest
            errors.append("%s: %s: %s" % (name, type(exc).__name__, exc))
    step("stat", lambda: {p: stat_of(p) for p in req.get("stat") or []})
    step("read", lambda: {p: read_of(p) for p in req.get("read") or []})
    step("commands", lambda: {k: run([str(a) for a in v], False) for k, v in (req.get("commands") or {}).items()})
    step("shell", lambda: {k: run(str(v), True) for k, v in (req.get("shell") or {}).items()})
    step("getent", lambda: {db: getent(db) for db in req.get("getent") or []
                            if db in ("passwd", "group", "shadow", "hosts", "services")})
    step("find", lambda: {k: find(v) for k, v in (req.get("find") or {}).items()})
    if req.get("facts"):
        step("facts", facts)
    ans["errors"] = errors
    sys.stdout.write(json.dumps(ans) + "\n")

main()
'''
