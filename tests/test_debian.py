"""The Debian package: built with Debian's own tools (debhelper, dh-python, pybuild's
pyproject plugin) from this tree, installed with apt on a clean Debian 12 root
(debootstrap --variant=minbase from the mirror this machine's apt uses, kept as a
tarball under build/debian/ between runs), and run there on the examples and the
invalid specs: output and errors must be byte for byte what the virtualenv's
netcompile gives, with Debian's python3-jinja2, python3-jsonschema and
python3-ruamel.yaml underneath. docs/debian.md says how long each step takes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT, require_tool

CACHE = ROOT / "build" / "debian"
TARBALL = CACHE / "bookworm-minbase.tar"
ARCHIVES = CACHE / "apt-archives"  # downloaded .debs, kept between runs
SUITE = "bookworm"
CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8",
             "DEBIAN_FRONTEND": "noninteractive"}
SPECS = [*sorted((ROOT / "examples").glob("*.yaml")),
         *sorted((ROOT / "tests" / "specs" / "invalid").glob("*.yaml"))]


def mirror() -> str:
    """The Debian mirror this machine's apt uses for bookworm."""
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.exists():
        for stanza in sources.read_text().split("\n\n"):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.MULTILINE)
            suites = re.search(r"^Suites:(.*)$", stanza, re.MULTILINE)
            if uris and suites and SUITE in suites.group(1).split():
                return uris.group(1)
    listing = Path("/etc/apt/sources.list")
    if listing.exists():
        found = re.search(rf"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+{SUITE}\s", listing.read_text(),
                          re.MULTILINE)
        if found:
            return found.group(1)
    return "http://deb.debian.org/debian"


def run(argv: list[str], timeout: float, **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False,
                          **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv[:3]}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done  # type: ignore[no-any-return]


def clean_root(into: Path) -> Path:
    """A fresh Debian 12 minbase root at `into`, from the cached tarball (made once)."""
    if not TARBALL.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        staging = CACHE / "root.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        run(["debootstrap", "--variant=minbase", SUITE, str(staging), mirror()], 1200,
            env=CLEAN_ENV)
        run(["tar", "-C", str(staging), "--numeric-owner", "-cf", f"{TARBALL}.tmp", "."], 300)
        os.replace(f"{TARBALL}.tmp", TARBALL)
        shutil.rmtree(staging)
    into.mkdir()
    run(["tar", "-C", str(into), "--numeric-owner", "-xf", str(TARBALL)], 300)
    shutil.copyfile("/etc/resolv.conf", into / "etc" / "resolv.conf")
    return into


def build_deb(work: Path) -> Path:
    """dpkg-buildpackage on a copy of this tree (the .deb lands beside the copy)."""
    source = work / "netcompile"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "node_modules", "*.egg-info", "__pycache__",
        ".*_cache", ".hypothesis"))
    run(["dpkg-buildpackage", "-us", "-uc", "-b"], 900, cwd=source,
        env={**CLEAN_ENV, "HOME": str(work)})
    [deb] = work.glob("netcompile_*_all.deb")
    return deb


def in_root(root: Path, script: str, timeout: float = 600) -> str:
    """`script` run by sh inside the root: in a private mount namespace (its /proc
    and the apt cache mounts end with it), with a clean environment."""
    ARCHIVES.mkdir(parents=True, exist_ok=True)
    setup = (f"mount -t proc proc {root}/proc && "
             f"mount --bind {ARCHIVES} {root}/var/cache/apt/archives && "
             f"exec chroot {root} /usr/bin/env -i PATH={CLEAN_ENV['PATH']} "
             "LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive /bin/sh -c \"$0\"")
    return run(["unshare", "--mount", "--propagation", "private", "sh", "-c", setup, script],
               timeout).stdout


def venv_netcompile(spec: Path, cwd: Path) -> tuple[int, str, str]:
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "netcompile"), spec.name, "-t", "all"],
                          capture_output=True, text=True, cwd=cwd, timeout=60, check=False)
    return done.returncode, done.stdout, done.stderr


def test_the_deb_installs_on_a_clean_debian_12_and_runs_the_examples(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI runs as root: the Debian package test must run")
        pytest.skip("needs root (chroot, mounts)")
    require_tool("dpkg-buildpackage", "dh_python3", "debootstrap", "unshare", "chroot")
    deb = build_deb(tmp_path)
    info = run(["dpkg-deb", "-f", str(deb), "Depends"], 30).stdout
    for package in ("python3-jinja2", "python3-jsonschema", "python3-ruamel.yaml"):
        assert re.search(rf"(^|, ){re.escape(package)}(,| |$)", info), info

    root = clean_root(tmp_path / "root")
    assert not (root / "usr" / "bin" / "python3").exists()  # minbase: no Python yet
    shutil.copyfile(deb, root / "tmp" / deb.name)
    specs = root / "tmp" / "specs"
    specs.mkdir()
    for spec in SPECS:
        shutil.copyfile(spec, specs / spec.name)
    in_root(root, "apt-get update -qq && apt-get install -y -qq --no-install-recommends "
            f"/tmp/{deb.name}", timeout=900)

    # Debian's libraries, not copies of PyPI's, serve the installed command.
    where = in_root(root, "python3 -c 'import jinja2, jsonschema, ruamel.yaml; "
                    "print(jinja2.__file__, jsonschema.__file__, ruamel.yaml.__file__)'")
    assert all(p.startswith("/usr/lib/python3/dist-packages/") for p in where.split())
    assert in_root(root, "command -v netcompile").strip() == "/usr/bin/netcompile"

    # The two-uplink example, installed under a root by the installed command.
    out = in_root(root, "netcompile /tmp/specs/two-uplinks.yaml --root /tmp/image "
                  "--target all && find /tmp/image -type f | sort")
    assert "/tmp/image/etc/systemd/network/30-eth1.network" in out
    unit = (root / "tmp/image/etc/systemd/network/30-eth1.network").read_text()
    assert "[RoutingPolicyRule]\nFamily=ipv4\nFrom=198.51.100.10/32\nPriority=1000\n" in unit

    # Every example and every invalid spec: the same bytes and exit code as the venv.
    script = "; ".join(
        f"netcompile {s.name} -t all > /tmp/out-{s.stem} 2> /tmp/err-{s.stem}; "
        f"echo $? > /tmp/rc-{s.stem}" for s in SPECS)
    in_root(root, f"cd /tmp/specs && {{ {script}; }}")
    for spec in SPECS:
        code, stdout, stderr = venv_netcompile(spec, spec.parent)
        assert (root / f"tmp/rc-{spec.stem}").read_text().strip() == str(code), spec.name
        assert (root / f"tmp/out-{spec.stem}").read_text() == stdout, spec.name
        assert (root / f"tmp/err-{spec.stem}").read_text() == stderr, spec.name
