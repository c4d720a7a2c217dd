#!/usr/bin/env python3
"""Tests scripts/release.py offline, in a throwaway git repository (never the real one).

  release_test.py --work-dir <scratch dir>

1. Snapshot this checkout's working tree (tracked and untracked-but-not-ignored files) into a
   new repository under the scratch dir, commit it and tag it v<version> as a release would.
2. Run release.py on that tag, then compute the SHA512 of `git archive` of the tag here,
   independently, and check the generated port: SHA512, REF (resolved) = the tag, version.
3. --from-file on that archive gives the same port; a tarball with the wrong top directory and
   a tag that does not name the version are refused.
4. --check passes on the generated port and fails on a stale one; a version bump followed by
   --unreleased passes again.
Leaves <work-dir>/port and <work-dir>/release.tar.gz for the ARCHIVE dry run of the port
(package.vcpkg_port_release_dry_run).

Exit status: 0 pass, 1 failure, 77 skipped (git missing, or this is not a git checkout).
"""

import argparse
import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
RELEASE = ROOT / "scripts" / "release.py"
PORT = pathlib.Path("packaging/vcpkg/ports/sqler")
SKIP = 77

# Same git behaviour in release.py and here, whatever the user's ~/.gitconfig says.
ENV = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
           GIT_AUTHOR_NAME="sqler release test", GIT_AUTHOR_EMAIL="release-test@invalid",
           GIT_COMMITTER_NAME="sqler release test", GIT_COMMITTER_EMAIL="release-test@invalid",
           GIT_AUTHOR_DATE="2024-01-01T00:00:00Z", GIT_COMMITTER_DATE="2024-01-01T00:00:00Z")
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def git(repo, *args, binary=False):
    out = subprocess.run(["git", "-C", str(repo), *args], env=ENV, check=True, capture_output=True).stdout
    return out if binary else out.decode()


def release(*args):
    return subprocess.run([sys.executable, str(RELEASE), *map(str, args)], env=ENV,
                          capture_output=True, text=True)


def snapshot(repo):
    """A repository whose one commit is this checkout's working tree as it is now."""
    listing = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard", binary=True)
    git(repo.parent, "init", "-q", repo.name)
    for name in sorted({n.decode() for n in listing.split(b"\0") if n}):
        src, dst = ROOT / name, repo / name
        if not os.path.lexists(src):  # tracked, deleted in the working tree
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)
    git(repo, "add", "-A")
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "release test snapshot")


def header_version(repo):
    text = (repo / "include/sqler/version.hpp").read_text(encoding="utf-8")
    return re.search(r'#define\s+SQLER_VERSION_STRING\s+"([^"]+)"', text).group(1)


def port_facts(port_dir):
    """(version, REPO, REF with ${VERSION} resolved, SHA512) of a port directory."""
    portfile = (port_dir / "portfile.cmake").read_text(encoding="utf-8")
    version = json.loads((port_dir / "vcpkg.json").read_text(encoding="utf-8"))["version"]
    call = re.search(r"vcpkg_from_github\((.*?)\)", portfile, re.S).group(1)
    field = {k: re.search(rf"^\s*{k}\s+(\S+)\s*$", call, re.M) for k in ("REPO", "REF", "SHA512")}
    value = {k: m.group(1) if m else None for k, m in field.items()}
    ref = (value["REF"] or "").strip('"').replace("${VERSION}", version)
    return version, value["REPO"], ref, value["SHA512"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work-dir", type=pathlib.Path, required=True)
    work = parser.parse_args().work_dir.resolve()
    if shutil.which("git") is None or subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--is-inside-work-tree"], env=ENV,
            capture_output=True).returncode != 0:
        print("skipped: needs git and a git checkout of sqler")
        return SKIP

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    repo = work / "repo"
    snapshot(repo)
    version = header_version(repo)
    tag = f"v{version}"
    git(repo, "-c", "tag.gpgsign=false", "tag", "-a", "-m", f"sqler {version}", tag)

    # 2. release.py on the tag vs. an independent hash of the same archive.
    port = work / "port"
    result = release("--repo", repo, "--tag", tag, "--output-dir", port)
    if not check(result.returncode == 0, f"release.py --tag {tag} failed:\n{result.stdout}{result.stderr}"):
        return 1
    archive = git(repo, "archive", "--format=tar.gz", f"--prefix=sqler-{version}/", tag, binary=True)
    (work / "release.tar.gz").write_bytes(archive)
    expected_sha = hashlib.sha512(archive).hexdigest()
    port_version, port_repo, ref, sha = port_facts(port)
    check(sha == expected_sha, f"port SHA512 {sha} != SHA512 of git archive of {tag} {expected_sha}")
    check(ref == tag, f"port REF resolves to {ref!r}, expected the tag {tag!r}")
    check(port_version == version, f"port version {port_version!r} != {version!r}")
    homepage = json.loads((port / "vcpkg.json").read_text(encoding="utf-8")).get("homepage")
    check(homepage == f"https://github.com/{port_repo}", f"REPO {port_repo} vs homepage {homepage}")
    committed = repo / PORT
    check((port / "usage").read_bytes() == (committed / "usage").read_bytes(),
          "--output-dir did not copy the rest of the port")
    check(git(repo, "status", "--porcelain") == "", "release.py --output-dir changed the repository")

    # 3. --from-file: same hash from the tarball; bad tarballs and tags refused.
    from_file = work / "port-from-file"
    result = release("--repo", repo, "--from-file", work / "release.tar.gz", "--output-dir", from_file)
    check(result.returncode == 0 and port_facts(from_file) == port_facts(port),
          f"--from-file on the same archive gave a different port:\n{result.stdout}{result.stderr}")
    wrong = work / "wrong-prefix.tar.gz"
    wrong.write_bytes(git(repo, "archive", "--format=tar.gz", "--prefix=other-1.0/", tag, binary=True))
    result = release("--repo", repo, "--from-file", wrong, "--output-dir", work / "port-wrong")
    check(result.returncode == 1 and "not under sqler-" in result.stderr,
          f"--from-file accepted a tarball with top directory other-1.0/:\n{result.stderr}")
    git(repo, "tag", "v999.0.0")
    result = release("--repo", repo, "--tag", "v999.0.0", "--output-dir", work / "port-wrong")
    check(result.returncode == 1 and "does not name version" in result.stderr,
          f"release.py accepted tag v999.0.0 for version {version}:\n{result.stderr}")

    # 4. --check: the generated port passes; a stale one fails; bump + --unreleased passes.
    result = release("--repo", repo, "--check", "--output-dir", port)
    check(result.returncode == 0, f"--check on the generated port failed:\n{result.stdout}{result.stderr}")
    result = release("--repo", repo, "--check")
    check(result.returncode == 0, f"--check on the snapshot's committed port failed (run scripts/release.py "
                                  f"--check in the checkout):\n{result.stdout}{result.stderr}")
    bumped = f"{int(version.split('.')[0]) + 1}.0.0"
    header = repo / "include/sqler/version.hpp"
    header.write_text(header.read_text(encoding="utf-8").replace(f'"{version}"', f'"{bumped}"'), encoding="utf-8")
    stale = work / "port-stale"  # port/ stays as release.py wrote it, for the ARCHIVE dry run
    shutil.copytree(port, stale)
    result = release("--repo", repo, "--check", "--output-dir", stale)
    check(result.returncode == 1 and "version" in result.stderr,
          f"--check passed with version.hpp at {bumped} and the port at {version}:\n{result.stdout}")
    manifest = stale / "vcpkg.json"  # what a by-hand bump of the manifest would leave
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(f'"{version}"', f'"{bumped}"', 1),
                        encoding="utf-8")
    result = release("--repo", repo, "--check", "--output-dir", stale)
    check(result.returncode == 1 and f"SHA512 is for {tag}" in result.stderr,
          f"--check missed a SHA512 left over from {tag} after a bump to {bumped}:\n{result.stdout}{result.stderr}")
    bumped_port = work / "port-bumped"
    result = release("--repo", repo, "--unreleased", "--output-dir", bumped_port)
    check(result.returncode == 0, f"--unreleased failed:\n{result.stderr}")
    check(port_facts(bumped_port) == (bumped, port_repo, f"v{bumped}", "0"),
          f"--unreleased port: {port_facts(bumped_port)}")
    result = release("--repo", repo, "--check", "--output-dir", bumped_port)
    check(result.returncode == 0 and "placeholder" in result.stdout,
          f"--check after --unreleased:\n{result.stdout}{result.stderr}")

    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    if not failures:
        print(f"release.py: port for {tag} carries SHA512 {expected_sha[:16]}... of git archive {tag}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
