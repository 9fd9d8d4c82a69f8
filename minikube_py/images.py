"""The lab's container images, built locally from Debian's busybox-static (no registry needed).

Kubernetes nodes pull their images; our labs have no registry, so every node
builds the same three images with `docker import` of a small tar file, the way
`kind load docker-image` pre-loads images into a kind node:

    minikube-py/pause:latest    the pod sandbox (kubelet's "pause" container): holds the
                                pod's namespaces and exits promptly on SIGTERM
    minikube-py/busybox:latest  busybox with every applet linked, for tools and clients
    minikube-py/hello:latest    answers HTTP GET on port 8080 with a line naming its pod
                                (hostname) and IP

busybox `sleep` as PID 1 ignores SIGTERM (PID 1 gets no default signal
handlers), so the long-running images use a shell `trap`.
"""
from __future__ import annotations

import io
import subprocess
import tarfile
from dataclasses import dataclass, field

import click

BUSYBOX = "/bin/busybox"
PAUSE_IMAGE = "minikube-py/pause:latest"
BUSYBOX_IMAGE = "minikube-py/busybox:latest"
HELLO_IMAGE = "minikube-py/hello:latest"

PAUSE_SCRIPT = """#!/bin/sh
# The pod sandbox: do nothing, forever, but leave at once when asked to.
trap 'exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
"""

HELLO_START = """#!/bin/sh
# Serve /www on :8080 in the background; PID 1 is this shell, so SIGTERM reaches the trap.
httpd -f -p 8080 -h /www &
trap 'kill $! 2>/dev/null; exit 0' TERM INT
wait $!
"""

HELLO_CGI = """#!/bin/sh
ip=$(ip -o -4 addr show 2>/dev/null | awk '$2 != "lo" {split($4, a, "/"); print a[1]; exit}')
printf 'Content-Type: text/plain\\r\\n\\r\\n'
echo "hello from $(hostname) ip ${ip:-none}"
"""

PATH_ENV = "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ETC_FILES = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    "etc/group": "root:x:0:\nnogroup:x:65534:\n",
}


@dataclass
class ImageRecipe:
    name: str
    files: dict[str, str] = field(default_factory=dict)   # path -> content (0755 when it starts with #!)
    changes: list[str] = field(default_factory=list)      # Dockerfile instructions (CMD, EXPOSE ...)


RECIPES = [
    ImageRecipe(PAUSE_IMAGE, {"pause": PAUSE_SCRIPT}, ['CMD ["/pause"]']),
    ImageRecipe(BUSYBOX_IMAGE, {}, ['CMD ["/bin/sh"]']),
    ImageRecipe(HELLO_IMAGE, {"hello": HELLO_START, "www/cgi-bin/index.cgi": HELLO_CGI},
                ['CMD ["/hello"]', "EXPOSE 8080"]),
]


def applet_paths() -> list[str]:
    """Every applet's install path (bin/sh, usr/bin/wget ...), as `busybox --list-full` says."""
    out = subprocess.run([BUSYBOX, "--list-full"], check=True, capture_output=True, text=True).stdout
    paths = {line.strip().lstrip("/") for line in out.splitlines()}
    return sorted(paths - {"", "bin/busybox"})


def _add_dir(tar: tarfile.TarFile, path: str, mode: int = 0o755) -> None:
    info = tarfile.TarInfo(path)
    info.type, info.mode = tarfile.DIRTYPE, mode
    tar.addfile(info)


def _add_file(tar: tarfile.TarFile, path: str, content: str) -> None:
    data = content.encode()
    info = tarfile.TarInfo(path)
    info.size, info.mode = len(data), 0o755 if content.startswith("#!") else 0o644
    tar.addfile(info, io.BytesIO(data))


def root_filesystem(recipe: ImageRecipe) -> bytes:
    """A tar of a tiny root filesystem: busybox, its applet links, /etc basics and the recipe's files."""
    buffer = io.BytesIO()
    applets = applet_paths()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        dirs = {"bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root", "proc", "sys", "dev", "www",
                "www/cgi-bin"}
        dirs |= {p.rsplit("/", 1)[0] for p in applets if "/" in p}
        for directory in sorted(dirs):
            _add_dir(tar, directory)
        _add_dir(tar, "tmp", 0o1777)
        tar.add(BUSYBOX, "bin/busybox")
        for path in applets:
            info = tarfile.TarInfo(path)
            info.type, info.linkname, info.mode = tarfile.LNKTYPE, "bin/busybox", 0o755   # one busybox
            tar.addfile(info)
        for path, content in {**ETC_FILES, **recipe.files}.items():
            _add_file(tar, path, content)
    return buffer.getvalue()


def image_exists(client, name: str) -> bool:
    import docker.errors
    try:
        client.images.get(name)
        return True
    except docker.errors.ImageNotFound:
        return False


def _remove_if_untagged(client, image_id: str | None) -> None:
    """After a forced rebuild, drop our previous image if no name points at it any more."""
    import docker.errors
    if image_id and not client.images.get(image_id).tags:
        try:
            client.images.remove(image_id)
        except docker.errors.APIError:
            pass   # still used by a container: leave it


def build_images(force: bool = False, client=None) -> list[str]:
    """Build the missing images (all of them with force); the names built."""
    import docker
    client = client or docker.from_env()
    built = []
    for recipe in RECIPES:
        if not force and image_exists(client, recipe.name):
            continue
        repository, tag = recipe.name.rsplit(":", 1)
        old_id = client.images.get(recipe.name).id if force and image_exists(client, recipe.name) else None
        client.api.import_image_from_data(root_filesystem(recipe), repository=repository, tag=tag,
                                          changes=[PATH_ENV, *recipe.changes])
        built.append(recipe.name)
        _remove_if_untagged(client, old_id)
    return built


@click.group("images")
def images() -> None:
    """The lab's local container images (no registry needed)."""


@images.command("build")
@click.option("--force", is_flag=True, help="Rebuild even the images that exist.")
def build_command(force: bool) -> None:
    """Build minikube-py/pause, minikube-py/busybox and minikube-py/hello with docker import."""
    built = build_images(force)
    for recipe in RECIPES:
        click.echo(f"{recipe.name}: {'built' if recipe.name in built else 'present'}")


@images.command("list")
def list_command() -> None:
    """Show the image names other tools may rely on."""
    for recipe in RECIPES:
        click.echo(recipe.name)


if __name__ == "__main__":
    images()
