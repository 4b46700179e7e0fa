"""The read-only probe: one script, run once per host by the host's own Python, that reads everything
the playbooks' tasks would read and answers with one JSON line.

The controller sends the request (what to read, compiled from the playbooks by engine.py) on stdin;
the script is stdlib-only (``python3 -I -S -c``, as the collection's action-plugin probes run, Python
3.9+) and writes nothing on the host. Secrets stay on the host: files are answered by their SHA-256;
a password field (shadow, gshadow, and passwd/group when it is not "x") is reduced to what the roles'
conditions test -- empty, its leading "!"/"*" run, and "<hash>" when more followed -- never the hash;
the content of a secret file (shadow, gshadow, opasswd, private keys) is never read.
Facts have the names and shapes of ansible.builtin.setup's (subsets min, virtual, hardware) that the
roles and the evidence read, decided as ansible-core 2.19's collectors decide them
(facts/virtual/linux.py, facts/hardware/linux.py, facts/system/chroot.py).

Request keys beyond the design's: ``timeout`` (seconds per command, default 30). Answer keys beyond
it: ``usage`` (the probe's own wall and CPU seconds, children included).
"""

from __future__ import annotations

PROBE = r'''
import fnmatch, grp, hashlib, json, os, pwd, re, resource, shutil, signal, stat, subprocess, sys, time

T0 = time.monotonic()
CAP = 1 << 20          # bytes of a file or a command's output kept
HASH_CAP = 64 << 20    # largest file hashed
SECRETS = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/security/opasswd",
           "/etc/security/opasswd.old", "/etc/ssh/ssh_host_*_key", "/etc/ssl/private/*", "/root/.ssh/id_*")
CMD_TIMEOUT = [30.0]   # seconds per command (request "timeout")
RUNNING = []           # the command running now (its own process group)

def stop(signum, frame):
    """Ended from outside (the controller gave up): end the running command's group too."""
    for p in RUNNING:
        try:
            os.killpg(p.pid, 9)
        except OSError:
            pass
    os._exit(128 + signum)

signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGHUP, stop)

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

def absolute(path):
    return isinstance(path, str) and path.startswith("/") and "\x00" not in path

def stat_of(path):
    if not absolute(path):
        return {"exists": False, "error": "not an absolute path"}
    try:
        link = stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return {"exists": False}
    try:
        st = os.stat(path)
    except OSError:
        return {"exists": False, "link": True}   # a dangling symlink
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
                out["error"] = "%s: %s" % (type(exc).__name__, exc.strerror or exc)
    return out

def secret(path):
    real = os.path.realpath(path)
    return any(fnmatch.fnmatchcase(p, pat) for p in (path, real) for pat in SECRETS)

def read_of(path):
    if not absolute(path):
        return {"error": "not an absolute path"}
    if secret(path):
        return {"error": "a secret file: its content never leaves the host"}
    try:
        with open(path, "rb") as fh:
            data = fh.read(CAP + 1)
    except OSError as exc:
        return {"error": "%s: %s" % (type(exc).__name__, exc.strerror or exc)}
    if len(data) > CAP:
        return {"error": "larger than %d bytes" % CAP}
    return {"content": data.decode("utf-8", "replace")}

def run(cmd, shell=False):
    env = dict(os.environ, LC_ALL="C", SYSTEMD_COLORS="0", SYSTEMD_PAGER="", PAGER="cat")
    limit = CMD_TIMEOUT[0]
    try:
        p = subprocess.Popen(cmd, shell=shell, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env, start_new_session=True)
    except (OSError, ValueError, TypeError) as exc:
        return {"rc": None, "error": "%s: %s" % (type(exc).__name__, getattr(exc, "strerror", None) or exc)}
    RUNNING[:] = [p]
    try:
        out, err = p.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, 9)     # the command and whatever it started
        except OSError:
            pass
        p.wait()                    # its pipes are left unread: a child outside its group may hold them
        return {"rc": None, "error": "timed out after %g s" % limit}
    finally:
        RUNNING[:] = []
    return {"rc": p.returncode, "stdout": out[:CAP].decode("utf-8", "replace"),
            "stderr": err[:CAP].decode("utf-8", "replace")}

def mask(field):
    rest = field.lstrip("!*")
    return field[:len(field) - len(rest)] + ("<hash>" if rest else "")

MASKED = {"shadow": lambda f: mask(f), "gshadow": lambda f: mask(f),
          "passwd": lambda f: f if f == "x" else mask(f), "group": lambda f: f if f == "x" else mask(f)}

def getent(db, errors):
    """As ansible.builtin.getent's getent_<db>: key -> the other fields; a repeated key -> a list of them."""
    p = run(["getent", db])
    if p.get("rc") != 0:
        errors.append("getent %s: %s" % (db, p.get("error") or "exit %s %s" % (p["rc"], p["stderr"].strip())))
        return None
    out, seen, split = {}, {}, ":" if db in MASKED else None
    for line in p["stdout"].splitlines():
        rec = line.split(split)
        if not rec:
            continue
        if db in MASKED and len(rec) > 1:
            rec[1] = MASKED[db](rec[1])
        if rec[0] in seen:
            if seen[rec[0]] == 1:
                out[rec[0]] = [out[rec[0]]]
            out[rec[0]].append(rec[1:])
            seen[rec[0]] += 1
        else:
            out[rec[0]], seen[rec[0]] = rec[1:], 1
    return out

def find(spec):
    found = []
    for d in spec.get("paths") or []:
        if not absolute(d):
            continue
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

# --- facts, as ansible's collectors decide them (module_utils/facts/utils.py get_file_content/_lines)
def content(path):
    try:
        with open(path, "rb") as fh:
            data = fh.read().decode("utf-8", "replace").strip()
    except OSError:
        return None
    return data or None

def lines(path, sep=None):
    data = content(path)
    if not data:
        return []
    return data.splitlines() if sep is None else data.rstrip(sep).split(sep)

def virtual():
    """LinuxVirtual.get_virtual_facts (facts/virtual/linux.py), step by step."""
    f, guest, host, found = {}, set(), set(), [False]
    def hit(tech, kind, role="guest", host_side=False):
        (host if host_side else guest).add(tech)
        if not found[0]:
            f["virtualization_type"] = kind
            if role:
                f["virtualization_role"] = role
            found[0] = True
    for line in lines("/proc/1/cgroup"):
        if re.search(r"/docker(/|-[0-9a-f]+\.scope)", line): hit("docker", "docker")
        if re.search("/lxc/", line) or re.search("/machine.slice/machine-lxc", line): hit("lxc", "lxc")
        if re.search("/system.slice/containerd.service", line): hit("containerd", "containerd")
    for line in lines("/proc/1/environ", "\x00"):
        if re.search("container=lxc", line): hit("lxc", "lxc")
        if re.search("container=podman", line): hit("podman", "podman")
        if re.search("^container=.", line): hit("container", "container")
    if os.path.exists("/proc/vz") and not os.path.exists("/proc/lve"):
        f["virtualization_type"] = "openvz"
        if os.path.exists("/proc/bc"):
            host.add("openvz")
            if not found[0]: f["virtualization_role"] = "host"
        else:
            guest.add("openvz")
            if not found[0]: f["virtualization_role"] = "guest"
        found[0] = True
    sc = content("/run/systemd/container")
    if sc:
        hit(sc, sc)
    if os.path.exists("/.dockerenv") or os.path.exists("/.dockerinit"):
        hit("docker", "docker")
    if guest & {"docker", "lxc", "podman", "openvz", "containerd"} or sc:
        guest.add("container")
    if os.path.exists("/proc/xen"):
        if any("control_d" in l for l in lines("/proc/xen/capabilities")):
            host.add("xen")
            if not found[0]: f.update(virtualization_type="xen", virtualization_role="host")
        elif not found[0]:
            f.update(virtualization_type="xen", virtualization_role="guest")
        found[0] = True
    if not found[0]:
        f["virtualization_role"] = "guest"   # assumed for the DMI block, as ansible does
    dmi = "/sys/devices/virtual/dmi/id/"
    product, vendor, family, bios = (content(dmi + n) for n in ("product_name", "sys_vendor", "product_family",
                                                                  "bios_vendor"))
    if product in ("KVM", "KVM Server", "Bochs", "AHV", "CloudStack KVM Hypervisor"): hit("kvm", "kvm", None)
    if vendor == "oVirt": hit("oVirt", "oVirt", None)
    if vendor == "Red Hat":
        if family == "RHV": hit("RHV", "RHV", None)
        elif product == "RHEV Hypervisor": hit("RHEV", "RHEV", None)
    if product and product.startswith("VMware"): hit("VMware", "VMware", None)
    if product in ("OpenStack Compute", "OpenStack Nova"): hit("openstack", "openstack", None)
    if bios == "Xen": hit("xen", "xen", None)
    if bios == "innotek GmbH": hit("virtualbox", "virtualbox", None)
    if bios in ("Amazon EC2", "DigitalOcean", "Hetzner", "Linode"): hit("kvm", "kvm", None)
    if vendor in ("QEMU", "Amazon EC2", "DigitalOcean", "Google", "Scaleway", "Nutanix"): hit("kvm", "kvm", None)
    if vendor == "KubeVirt": hit("KubeVirt", "KubeVirt", None)
    if vendor == "Microsoft Corporation": hit("VirtualPC", "VirtualPC", None)
    if vendor == "Parallels Software International Inc.": hit("parallels", "parallels", None)
    if vendor == "OpenStack Foundation": hit("openstack", "openstack", None)
    if not found[0]:
        f.pop("virtualization_role", None)
    for line in lines("/proc/self/status"):
        if re.match(r"^VxID:\s+\d+", line):
            if not found[0]: f["virtualization_type"] = "linux_vserver"
            side = re.match(r"^VxID:\s+0", line) is not None
            (host if side else guest).add("linux_vserver")
            if not found[0]: f["virtualization_role"] = "host" if side else "guest"
            found[0] = True
    for line in lines("/proc/cpuinfo"):
        tech = None
        if re.match("^model name.*QEMU Virtual CPU", line): tech = "kvm"
        elif re.match("^vendor_id.*User Mode Linux", line) or re.match("^model name.*UML", line): tech = "uml"
        elif re.match("^machine.*CHRP IBM pSeries .emulated by qemu.", line): tech = "kvm"
        elif re.match("^vendor_id.*PowerVM Lx86", line): tech = "powervm_lx86"
        elif re.match("^vendor_id.*IBM/S390", line):
            tech = "PR/SM"
            guest.add(tech)
            if not found[0]: f["virtualization_type"] = tech
            if shutil.which("lscpu"):
                p = run(["lscpu"])
                for l in (p.get("stdout") or "").splitlines() if p.get("rc") == 0 else []:
                    k, _, v = l.partition(":")
                    if k.strip() == "Hypervisor":
                        guest.add(v.strip())
                        if not found[0]: f["virtualization_type"] = v.strip()
            else:
                guest.add("ibm_systemz")
                if not found[0]: f["virtualization_type"] = "ibm_systemz"
        else:
            continue
        if tech != "PR/SM":
            guest.add(tech)
            if not found[0]: f["virtualization_type"] = tech
        if not found[0]:
            f["virtualization_role"] = "LPAR" if f.get("virtualization_type") == "PR/SM" else "guest"
            found[0] = True
    if os.access("/proc/modules", os.R_OK):
        modules = [l.split(" ", 1)[0] for l in lines("/proc/modules")]
        if "kvm" in modules:
            host.add("kvm")
            if not found[0]: f.update(virtualization_type="kvm", virtualization_role="host")
            if os.path.isdir("/rhev/"):
                for pid in os.listdir("/proc"):
                    if pid.isdigit() and content("/proc/%s/comm" % pid) in ("vdsm", "vdsmd"):
                        host.add("RHEV")
                        if not found[0]: f["virtualization_type"] = "RHEV"
                        break
            found[0] = True
        if "vboxdrv" in modules: hit("virtualbox", "virtualbox", "host", True)
        if "virtio" in modules: hit("kvm", "kvm", "guest", True)
    if shutil.which("dmidecode"):
        p = run(["dmidecode", "-s", "system-product-name"])
        if p.get("rc") == 0:
            name = "".join(l.strip() for l in p["stdout"].splitlines() if not l.startswith("#"))
            if name.startswith("VMware"): hit("VMware", "VMware")
            if "BHYVE" in p["stdout"]: hit("bhyve", "bhyve")
    if os.path.exists("/dev/kvm"): hit("kvm", "kvm", "host", True)
    if not found[0]:
        f.update(virtualization_type="NA", virtualization_role="NA")
    f.update(virtualization_tech_guest=sorted(guest), virtualization_tech_host=sorted(host))
    return f

def root_fstype():
    kind = ""
    for line in lines("/proc/mounts"):
        p = line.split()
        if len(p) > 2 and p[1] == "/":
            kind = p[2]
    return kind

def is_chroot():
    """facts/system/chroot.py is_chroot."""
    if os.environ.get("debian_chroot"):
        return True
    mine = os.stat("/")
    try:
        init = os.stat("/proc/1/root/.")
        return mine.st_ino != init.st_ino or mine.st_dev != init.st_dev
    except OSError:
        kind = root_fstype()
        return mine.st_ino != (256 if "btrfs" in kind else 128 if "xfs" in kind else 2)

def os_release():
    rel = {}
    for line in lines("/etc/os-release"):
        if "=" in line:
            k, v = line.split("=", 1)
            rel[k.strip()] = v.strip().strip("\"'")
    names = {"debian": "Debian", "ubuntu": "Ubuntu", "centos": "CentOS", "rhel": "RedHat", "kylin": "Kylin",
             "uos": "Uos", "openeuler": "openEuler", "rocky": "Rocky", "almalinux": "AlmaLinux"}
    ident = rel.get("ID", "")
    version = (content("/etc/debian_version") if ident == "debian" else None) or rel.get("VERSION_ID", "NA")
    return {"distribution": names.get(ident, rel.get("NAME", ident).split()[0] if rel else "NA"),
            "distribution_version": version, "distribution_major_version": version.split(".")[0],
            "distribution_release": rel.get("VERSION_CODENAME", "NA")}

def cpu(arch):
    """LinuxHardware.get_cpu_facts: processor_vcpus and the counts it is made of."""
    xen = os.path.exists("/proc/xen") or (lines("/sys/hypervisor/type") or [""])[0].strip() == "xen"
    xen_pv, i, vendor_n, model_n, proc_n, physid, coreid = False, 0, 0, 0, 0, 0, 0
    sockets, cores, zp, zmt = {}, {}, 0, 0
    for line in lines("/proc/cpuinfo"):
        data = line.split(":", 1)
        key, val = data[0].strip(), data[1].strip() if len(data) > 1 else ""
        if xen and key == "flags" and "vme" not in val:
            xen_pv = True
        if key in ("model name", "Processor", "vendor_id", "cpu", "Vendor", "processor"):
            vendor_n += key == "vendor_id"
            model_n += key == "model name"
            proc_n += key == "processor"
            i += 1
        elif key == "physical id":
            physid = val
            sockets.setdefault(physid, 1)
        elif key == "core id":
            coreid = val
            if coreid not in sockets:
                cores[coreid] = 1
        elif key == "cpu cores":
            sockets[physid] = int(val)
        elif key == "siblings":
            cores[coreid] = int(val)
        elif key == "# processors":
            zp = int(val)
        elif key == "max thread id":
            zmt = int(val) + 1
        elif key == "ncpus active":
            i = int(val)
    if vendor_n > 0 and vendor_n == model_n:
        i = vendor_n
    if arch.startswith(("armv", "aarch", "ppc")):
        i = proc_n
    if arch == "s390x":
        f = {"processor_count": 1, "processor_cores": round(zp / zmt) if zmt else 0,
             "processor_threads_per_core": zmt, "processor_vcpus": zp}
    elif xen_pv:
        f = {"processor_count": i, "processor_cores": i, "processor_threads_per_core": 1, "processor_vcpus": i}
    else:
        count = len(sockets) if sockets else i
        svals, cvals = list(sockets.values()), list(cores.values())
        ncores = svals[0] if svals and svals[0] else 1
        threads = round(cvals[0] / ncores) if cvals else round(1 / ncores)
        f = {"processor_count": count, "processor_cores": ncores, "processor_threads_per_core": threads,
             "processor_vcpus": threads * count * ncores}
    try:
        f["processor_nproc"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        f["processor_nproc"] = proc_n
    return f

def octal(value):
    return re.sub(r"\\[0-7]{3}", lambda m: chr(int(m.group()[1:], 8)), value)

def hardware(arch):
    out = cpu(arch)
    for line in lines("/proc/meminfo"):
        k, _, v = line.partition(":")
        if k in ("MemTotal", "SwapTotal", "MemFree", "SwapFree"):
            out["%s_mb" % k.lower()] = int(v.strip().split(" ")[0]) // 1024
    devices = {}
    try:
        names = sorted(os.listdir("/sys/block"))
    except OSError:
        names = []
    for n in names:
        d = "/sys/block/" + n
        size = (content(d + "/queue/logical_block_size") or content(d + "/queue/hw_sector_size") or "512")
        try:
            sectors = int(content(d + "/size") or 0) * 512 // int(size)
        except ValueError:
            sectors = 0
        devices[n] = {"sectors": sectors, "sectorsize": size, "removable": content(d + "/removable"),
                      "rotational": content(d + "/queue/rotational")}
    mounts = {}   # by mount point: a later entry for the same point replaces the earlier, as in ansible
    for line in lines("/etc/mtab" if os.path.exists("/etc/mtab") else "/proc/mounts"):
        fields = [octal(x) for x in line.split()]
        if len(fields) < 4:
            continue
        device, mount, fstype, options = fields[:4]
        if not device.startswith(("/", "\\")) and ":/" not in device or fstype == "none":
            continue
        m = {"mount": mount, "device": device, "fstype": fstype, "options": options}
        try:
            sv = os.statvfs(mount)
            m.update(size_total=sv.f_frsize * sv.f_blocks, size_available=sv.f_frsize * sv.f_bavail,
                     block_size=sv.f_bsize, block_total=sv.f_blocks, block_available=sv.f_bavail,
                     inode_total=sv.f_files, inode_available=sv.f_favail)
        except OSError:
            pass
        mounts[mount] = m
    out.update(devices=devices, mounts=list(mounts.values()))
    return out

def facts():
    u = os.uname()
    now = time.time()
    v = sys.version_info
    out = {"is_chroot": is_chroot(), "architecture": u.machine, "machine": u.machine, "kernel": u.release,
           "kernel_version": u.version, "system": u.sysname, "nodename": u.nodename,
           "hostname": u.nodename.split(".")[0],
           "date_time": {"epoch": str(int(now)), "epoch_int": str(int(now)),
                         "date": time.strftime("%Y-%m-%d", time.localtime(now))},
           "python": {"executable": sys.executable, "type": sys.implementation.name,
                      "version": {"major": v[0], "minor": v[1], "micro": v[2], "releaselevel": v[3], "serial": v[4]},
                      "version_info": list(v)}}
    out.update(virtual())
    out.update(os_release())
    out.update(hardware(u.machine))
    return out

def main():
    errors, ans = [], {}
    try:
        req = json.loads(sys.stdin.readline() or "{}")
        if not isinstance(req, dict):
            raise ValueError("expected a JSON object")
    except ValueError as exc:
        req = {}
        errors.append("request: %s" % exc)
    t = req.get("timeout")
    if isinstance(t, (int, float)) and not isinstance(t, bool) and 0 < t <= 3600:
        CMD_TIMEOUT[0] = float(t)
    def step(name, fn):
        try:
            ans[name] = fn()
        except Exception as exc:  # an unexpected host or request: say what failed, answer the rest
            errors.append("%s: %s: %s" % (name, type(exc).__name__, exc))
    step("stat", lambda: {p: stat_of(p) for p in req.get("stat") or []})
    step("read", lambda: {p: read_of(p) for p in req.get("read") or []})
    step("commands", lambda: {k: run([str(a) for a in v]) for k, v in (req.get("commands") or {}).items()})
    step("shell", lambda: {k: run(str(v), True) for k, v in (req.get("shell") or {}).items()})
    def getents():
        out = {}
        for db in req.get("getent") or []:
            if db not in ("passwd", "group", "shadow", "gshadow", "hosts", "services"):
                errors.append("getent %s: not a database the probe reads" % db)
                continue
            got = getent(db, errors)
            if got is not None:
                out[db] = got
        return out
    step("getent", getents)
    step("find", lambda: {k: find(v) for k, v in (req.get("find") or {}).items()})
    if req.get("facts"):
        step("facts", facts)
    ans["errors"] = errors
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    ans["usage"] = {"seconds": round(time.monotonic() - T0, 4),
                    "cpu_seconds": round(me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime, 4)}
    sys.stdout.write(json.dumps(ans) + "\n")

main()
'''
