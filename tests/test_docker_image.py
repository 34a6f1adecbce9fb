"""What can be proven about the Docker image without a Docker engine:

- every shared library the installed compiled wheels link to resolves, and each one that
  comes from a Debian package outside `python:3.11-slim-bookworm`'s own set is installed
  by the Dockerfile (LightGBM and scikit-learn need libgomp1, which slim lacks);
- `.env.example` (used as `--env-file .env`) and `compose.yaml` agree with the image:
  home, bind, port, health check.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
BASE_IMAGE = "python:3.11-slim-bookworm"

# The Debian packages of python:3.11-slim-bookworm. Where the list comes from:
# debian:bookworm-slim is `debootstrap --variant=minbase` (the packages of Priority
# "required", apt, and their dependencies); docker-library/python's
# 3.11/slim-bookworm/Dockerfile adds ca-certificates, netbase and tzdata, and keeps the
# run-time libraries Python's own extension modules link to (libbz2-1.0, libdb5.3,
# libffi8, libgdbm6, libgdbm-compat4, liblzma5, libncursesw6, libreadline8,
# libsqlite3-0, libssl3, libuuid1, zlib1g). The closure was computed with dpkg-query on
# Debian 12 from those seeds. Kept short on purpose: a package missing here only makes
# the test ask the Dockerfile to install something already there.
SLIM_PACKAGES = frozenset(
    [
        "adduser",
        "apt",
        "base-files",
        "base-passwd",
        "bash",
        "bsdutils",
        "ca-certificates",
        "coreutils",
        "dash",
        "debconf",
        "debian-archive-keyring",
        "debianutils",
        "diffutils",
        "dpkg",
        "e2fsprogs",
        "findutils",
        "gcc-12-base",
        "gpgv",
        "grep",
        "gzip",
        "hostname",
        "init-system-helpers",
        "libacl1",
        "libapt-pkg6.0",
        "libattr1",
        "libaudit-common",
        "libaudit1",
        "libblkid1",
        "libbz2-1.0",
        "libc-bin",
        "libc6",
        "libcap-ng0",
        "libcap2",
        "libcom-err2",
        "libcrypt1",
        "libdb5.3",
        "libdebconfclient0",
        "libext2fs2",
        "libffi8",
        "libgcc-s1",
        "libgcrypt20",
        "libgdbm-compat4",
        "libgdbm6",
        "libgmp10",
        "libgnutls30",
        "libgpg-error0",
        "libhogweed6",
        "libidn2-0",
        "liblocale-gettext-perl",
        "liblz4-1",
        "liblzma5",
        "libmd0",
        "libmount1",
        "libncursesw6",
        "libnettle8",
        "libp11-kit0",
        "libpam-modules",
        "libpam-modules-bin",
        "libpam-runtime",
        "libpam0g",
        "libpcre2-8-0",
        "libreadline8",
        "libseccomp2",
        "libselinux1",
        "libsemanage-common",
        "libsemanage2",
        "libsepol2",
        "libsmartcols1",
        "libsqlite3-0",
        "libss2",
        "libssl3",
        "libstdc++6",
        "libsystemd0",
        "libtasn1-6",
        "libtext-iconv-perl",
        "libtinfo6",
        "libudev1",
        "libunistring2",
        "libuuid1",
        "libxxhash0",
        "libzstd1",
        "login",
        "logsave",
        "mawk",
        "mount",
        "ncurses-base",
        "ncurses-bin",
        "netbase",
        "openssl",
        "passwd",
        "perl-base",
        "readline-common",
        "sed",
        "sensible-utils",
        "sysvinit-utils",
        "tar",
        "tzdata",
        "usr-is-merged",
        "util-linux",
        "util-linux-extra",
        "zlib1g",
    ]
)

needs_linux_tools = pytest.mark.skipif(
    shutil.which("ldd") is None or shutil.which("dpkg") is None,
    reason="needs ldd and dpkg (a Debian-like Linux, as the image is)",
)


@cache
def linked_libraries() -> dict[Path, dict[str, str | None]]:
    """Every compiled file installed in this environment → {library: resolved path or
    None when not found}."""
    site = Path(sysconfig.get_paths()["purelib"])
    found: dict[Path, dict[str, str | None]] = {}
    for path in sorted(site.rglob("*.so*")):
        if not path.is_file():
            continue
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False)
        libraries: dict[str, str | None] = {}
        for line in out.stdout.splitlines():
            match = re.match(r"\s*(\S+) => (not found|(\S+))", line)
            if match:
                libraries[match.group(1)] = match.group(3)
        found[path] = libraries
    return found


def _vendored(path: Path, library: str) -> bool:
    """Wheels ship their own copies (`*.libs/`) that find each other through the rpath
    of the module that loads them; `ldd` on the copy alone cannot."""
    return (path.parent / library).is_file()


def _optional(path: Path, library: str) -> bool:
    """numba's TBB threading layer (numba arrives with the `bench` extra's vectorbt, not
    in the image): numba loads it only when the TBB library is installed and otherwise
    uses its OpenMP or workqueue layer."""
    return path.name.startswith("tbbpool.") and library.startswith("libtbb.")


@needs_linux_tools
def test_every_library_the_wheels_link_to_resolves() -> None:
    libraries = linked_libraries()
    assert len(libraries) > 100  # numpy, pandas, TensorFlow, LightGBM… are installed
    missing = [
        f"{path.name}: {library}"
        for path, links in libraries.items()
        for library, resolved in links.items()
        if resolved is None and not _vendored(path, library) and not _optional(path, library)
    ]
    assert missing == []


def system_libraries() -> set[str]:
    """Resolved libraries that live outside this Python environment."""
    prefixes = (sys.prefix, sys.base_prefix)
    return {
        resolved
        for links in linked_libraries().values()
        for resolved in links.values()
        if resolved is not None and not resolved.startswith(prefixes)
    }


def debian_package(library: str) -> str:
    """The package that ships `library` (`dpkg -S`, trying the /usr-merged twin too)."""
    candidates = [library]
    if library.startswith("/lib"):
        candidates.append("/usr" + library)
    elif library.startswith("/usr/lib"):
        candidates.append(library.removeprefix("/usr"))
    for candidate in candidates:
        out = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if out.returncode == 0:
            return out.stdout.split(":", 1)[0].strip()
    raise AssertionError(f"no Debian package ships {library}")


def dockerfile_apt_packages() -> set[str]:
    installs = re.findall(
        r"apt-get install ([^&\n\\]+(?:\\\n[^&\n\\]+)*)", DOCKERFILE, flags=re.MULTILINE
    )
    words = {word for text in installs for word in shlex.split(text.replace("\\\n", " "))}
    return {word for word in words if not word.startswith("-")}


def test_the_image_is_the_one_the_package_list_describes() -> None:
    assert re.search(rf"^FROM {re.escape(BASE_IMAGE)}$", DOCKERFILE, flags=re.MULTILINE)


@needs_linux_tools
def test_the_dockerfile_installs_every_package_the_wheels_need_beyond_slim() -> None:
    needed = {debian_package(library) for library in system_libraries()}
    assert {"libc6", "libgomp1"} <= needed  # what the wheels link to today
    beyond_slim = needed - SLIM_PACKAGES
    assert beyond_slim - dockerfile_apt_packages() == set()


# -- the image, .env.example and compose.yaml agree ----------------------------------


def image_env() -> dict[str, str]:
    block = re.search(r"^ENV (.+?)(?=^\S)", DOCKERFILE, flags=re.MULTILINE | re.DOTALL)
    assert block is not None
    lines = [line for line in block.group(1).splitlines() if not line.strip().startswith("#")]
    return dict(word.split("=", 1) for word in shlex.split(" ".join(lines).replace("\\", " ")))


def env_example() -> dict[str, str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return dict(
        line.split("=", 1)
        for line in text.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )


def compose_service() -> dict:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return compose["services"]["stockbot"]


def healthcheck_command() -> list[str]:
    line = re.search(r"^\s+CMD (\[.*\])$", DOCKERFILE.split("HEALTHCHECK", 1)[1], re.MULTILINE)
    assert line is not None
    return yaml.safe_load(line.group(1))


def test_env_example_leaves_the_images_settings_alone() -> None:
    """`--env-file .env` sets every line, empty ones included: a line for a variable the
    image sets (home, bind, config) would override the volume or the 0.0.0.0 bind."""
    image, example = image_env(), env_example()
    assert image["STOCKBOT_HOME"] == "/data"
    assert image["WEBUI_HOST"] == "0.0.0.0"
    overridden = {
        name: value for name, value in example.items() if name in image and value != image[name]
    }
    assert overridden == {}


def test_the_port_is_the_same_everywhere() -> None:
    port = image_env()["WEBUI_PORT"]
    assert env_example()["WEBUI_PORT"] == port
    assert re.search(rf"^EXPOSE {port}$", DOCKERFILE, flags=re.MULTILINE)
    assert compose_service()["ports"] == [f"127.0.0.1:{port}:{port}"]  # loopback only


def test_compose_runs_the_image_as_the_readme_says() -> None:
    service = compose_service()
    assert service["volumes"] == [f"stockbot-data:{image_env()['STOCKBOT_HOME']}"]
    assert service["env_file"] == ".env"
    assert service["restart"] == "unless-stopped"
    assert service["healthcheck"]["test"] == ["CMD", *healthcheck_command()]


def test_the_health_check_is_the_light_one() -> None:
    command = healthcheck_command()
    assert command[:2] == ["python", "-c"]
    assert "/healthz" in command[2]
    assert "WEBUI_PORT" in command[2]
    assert "doctor" not in DOCKERFILE.split("HEALTHCHECK", 1)[1].split("CMD [", 1)[1]
