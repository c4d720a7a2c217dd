#!/usr/bin/env python3
"""Fills in the vcpkg port (packaging/vcpkg/ports/sqler) for a tagged release of sqler.

The port downloads the release the way every vcpkg registry port does:
    vcpkg_from_github(REPO sqler/sqler REF "v${VERSION}" SHA512 <hash of the tarball> ...)
This script writes the two things that change per release: the port's "version" (vcpkg.json)
and the SHA512 (portfile.cmake). REF is "v${VERSION}", so it follows the version.

    scripts/release.py                      # tag v<version.hpp>: hash `git archive` of the tag
    scripts/release.py --from-file sqler-sqler-v0.2.0.tar.gz    # hash the real GitHub tarball
    scripts/release.py --unreleased         # version bump before the tag exists: SHA512 0
    scripts/release.py --check              # exit 1 if the port disagrees with version.hpp

SHA512 at release time: vcpkg checks the hash of the file GitHub serves at
https://github.com/sqler/sqler/archive/v<version>.tar.gz. GitHub builds that tarball with
`git archive` too, but its gzip stream is not guaranteed to be byte-identical to the local
git's, so the hash of the local archive (the default mode) is a preview. At release time:
  1. bump include/sqler/version.hpp (and the manifests), run `release.py --unreleased`, commit;
  2. tag v<version> and push the tag;
  3. download the tarball above and run `release.py --from-file <tarball>`; commit the port.
The committed port can never hold the hash of the tree it is part of, so step 3 is always a
commit after the tag. If the hashes differ, vcpkg prints the actual one on a failed install.

Offline and standard library only; runs git for the archive.
"""

import argparse
import hashlib
import io
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile

GITHUB_REPO = "sqler/sqler"  # the one place sqler's GitHub owner/name is written down
HOMEPAGE = f"https://github.com/{GITHUB_REPO}"
HEAD_REF = "main"

ROOT = pathlib.Path(__file__).resolve().parents[1]
PORT_DIR = pathlib.Path("packaging/vcpkg/ports/sqler")
VERSION_HEADER = "include/sqler/version.hpp"
PLACEHOLDER_SHA512 = "0"  # what vcpkg's docs use for "not known yet": vcpkg prints the real one

# A line of its own just above vcpkg_from_github: which tag the SHA512 belongs to, so --check
# notices a hash left over from the previous release after a version bump.
MARKER_RE = re.compile(r"^# release\.py: (v\S+?) ([a-z-]+)\b.*$", re.MULTILINE)
SHA512_RE = re.compile(r"^(\s*SHA512\s+)(\S+)(\s*)$", re.MULTILINE)
REF_RE = re.compile(r"^(\s*REF\s+)(\S+)(\s*)$", re.MULTILINE)
REPO_RE = re.compile(r"^\s*REPO\s+(\S+)\s*$", re.MULTILINE)


class ReleaseError(Exception):
    pass


def parse_version(header_text, where):
    match = re.search(r'#define\s+SQLER_VERSION_STRING\s+"([^"]+)"', header_text)
    if not match:
        raise ReleaseError(f"{where}: no SQLER_VERSION_STRING")
    return match.group(1)


def git(repo, *args):
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True)
    if result.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def archive_command(tag, version):
    """The archive GitHub serves for a tag: top directory <repo name>-<tag without the v>."""
    return ["archive", "--format=tar.gz", f"--prefix=sqler-{version}/", tag]


def archive_of_tag(repo, tag):
    """(version at the tag, bytes of `git archive` of the tag)."""
    try:
        git(repo, "rev-parse", "--verify", "--quiet", f"{tag}^{{commit}}")
    except ReleaseError:
        raise ReleaseError(f"no tag {tag} in {repo} (before tagging, use --unreleased)") from None
    version = parse_version(git(repo, "show", f"{tag}:{VERSION_HEADER}").decode(), f"{tag}:{VERSION_HEADER}")
    return version, git(repo, *archive_command(tag, version))


def version_in_tarball(data, where):
    """The version.hpp inside a sqler release tarball, which must sit under sqler-<version>/."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = [m for m in tar.getmembers() if m.name.endswith("/" + VERSION_HEADER)]
            if len(members) != 1:
                raise ReleaseError(f"{where}: expected one */{VERSION_HEADER}, found {len(members)}")
            version = parse_version(tar.extractfile(members[0]).read().decode(), where)
            if members[0].name != f"sqler-{version}/{VERSION_HEADER}":
                raise ReleaseError(f"{where}: {members[0].name} is not under sqler-{version}/")
            return version
    except (tarfile.TarError, OSError, EOFError) as e:
        raise ReleaseError(f"{where}: not a .tar.gz archive ({e})") from e


def read_port(port_dir):
    portfile = (port_dir / "portfile.cmake").read_text(encoding="utf-8")
    manifest_text = (port_dir / "vcpkg.json").read_text(encoding="utf-8")
    return portfile, manifest_text, json.loads(manifest_text)


def write_port(port_dir, tag, version, sha512, how):
    portfile, manifest_text, manifest = read_port(port_dir)
    if len(SHA512_RE.findall(portfile)) != 1 or len(REF_RE.findall(portfile)) != 1:
        raise ReleaseError(f"{port_dir}/portfile.cmake: expected one REF and one SHA512 line")
    portfile = REF_RE.sub(lambda m: m.group(1) + '"v${VERSION}"' + m.group(3), portfile)
    portfile = SHA512_RE.sub(lambda m: m.group(1) + sha512 + m.group(3), portfile)
    marker = f"# release.py: {tag} {how}"
    if how == "github-archive":
        marker += f" (SHA512 of {HOMEPAGE}/archive/{tag}.tar.gz)"
    else:
        marker += f" ({tag} is not tagged yet: SHA512 {PLACEHOLDER_SHA512} makes vcpkg print the real one)"
    if MARKER_RE.search(portfile):
        portfile = MARKER_RE.sub(lambda m: marker, portfile, count=1)
    else:
        portfile = portfile.replace("vcpkg_from_github(", marker + "\nvcpkg_from_github(", 1)
    (port_dir / "portfile.cmake").write_text(portfile, encoding="utf-8")

    # Edit the text rather than re-dump the JSON, so the file keeps vcpkg format-manifest's layout.
    if manifest.get("version") != version:
        manifest_text = re.sub(r'("version"\s*:\s*)"[^"]*"', lambda m: f'{m.group(1)}"{version}"',
                               manifest_text, count=1)
        # A new upstream version starts again at port-version 0, which vcpkg spells "absent".
        manifest_text = re.sub(r'\n\s*"port-version"\s*:\s*\d+\s*,', "", manifest_text, count=1)
    (port_dir / "vcpkg.json").write_text(manifest_text, encoding="utf-8")
    if json.loads(manifest_text).get("version") != version:
        raise ReleaseError(f"{port_dir}/vcpkg.json: could not set version {version}")


def check_port(port_dir, version):
    """Problems of the port against version.hpp's version (empty list: consistent)."""
    problems, notes = [], []
    portfile, _, manifest = read_port(port_dir)
    tag = f"v{version}"
    if manifest.get("version") != version:
        problems.append(f"vcpkg.json: version {manifest.get('version')!r} != version.hpp {version}")
    if manifest.get("homepage") != HOMEPAGE:
        problems.append(f"vcpkg.json: homepage {manifest.get('homepage')!r} != {HOMEPAGE}")
    repo = REPO_RE.findall(portfile)
    if repo != [GITHUB_REPO]:
        problems.append(f"portfile.cmake: REPO {repo} != [{GITHUB_REPO!r}]")
    refs = [r.strip('"').replace("${VERSION}", str(manifest.get("version"))) for _, r, _ in REF_RE.findall(portfile)]
    if refs != [tag]:
        problems.append(f"portfile.cmake: REF resolves to {refs}, expected [{tag!r}]")
    hashes = [h for _, h, _ in SHA512_RE.findall(portfile)]
    marker = MARKER_RE.search(portfile)
    if len(hashes) != 1:
        problems.append(f"portfile.cmake: expected one SHA512 line, found {len(hashes)}")
    elif hashes[0] == PLACEHOLDER_SHA512:
        notes.append(f"SHA512 is the placeholder {PLACEHOLDER_SHA512}: {tag} not released yet")
    elif not re.fullmatch(r"[0-9a-f]{128}", hashes[0]):
        problems.append(f"portfile.cmake: SHA512 {hashes[0]!r} is neither 128 hex digits nor {PLACEHOLDER_SHA512}")
    if not marker:
        problems.append("portfile.cmake: no '# release.py: <tag> ...' line: run scripts/release.py")
    elif marker.group(1) != tag:
        problems.append(f"portfile.cmake: the SHA512 is for {marker.group(1)}, the version is {version}: "
                        f"run scripts/release.py --unreleased (before tagging) or --from-file (after)")
    elif (marker.group(2) == "unreleased") != (hashes[:1] == [PLACEHOLDER_SHA512]):
        problems.append(f"portfile.cmake: '{marker.group(0)}' does not fit SHA512 {hashes[:1]}")
    return problems, notes


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring (top of this file) for the release steps.")
    parser.add_argument("--tag", help="release tag, v<version> (default: v + SQLER_VERSION_STRING)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--from-file", type=pathlib.Path, metavar="TARBALL",
                      help="hash this downloaded GitHub tarball instead of `git archive` of the tag")
    mode.add_argument("--unreleased", action="store_true",
                      help="the tag does not exist yet: set the version and SHA512 0")
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 if the port's version/REF/SHA512 note disagree with version.hpp")
    parser.add_argument("--output-dir", type=pathlib.Path,
                        help="write the port here (a copy of the committed one) instead of in place")
    parser.add_argument("--repo", type=pathlib.Path, default=ROOT,
                        help="sqler git checkout to read and archive (default: this script's)")
    args = parser.parse_args(argv)

    try:
        repo = args.repo.resolve()
        source_port = repo / PORT_DIR
        current = parse_version((repo / VERSION_HEADER).read_text(encoding="utf-8"), VERSION_HEADER)
        tag = args.tag or f"v{current}"
        port_dir = args.output_dir.resolve() if args.output_dir else source_port

        if args.check:
            problems, notes = check_port(port_dir, current)
            for note in notes:
                print(f"note: {note}")
            for p in problems:
                print(f"error: {p}", file=sys.stderr)
            if not problems:
                print(f"vcpkg port in {port_dir} matches sqler {current}")
            return 1 if problems else 0

        if args.unreleased:
            version, sha512, how = current, PLACEHOLDER_SHA512, "unreleased"
        elif args.from_file:
            data = args.from_file.read_bytes()
            version, how = version_in_tarball(data, str(args.from_file)), "github-archive"
            sha512 = hashlib.sha512(data).hexdigest()
        else:
            version, data = archive_of_tag(repo, tag)
            sha512, how = hashlib.sha512(data).hexdigest(), "github-archive"
        if tag != f"v{version}":
            raise ReleaseError(f"tag {tag} does not name version {version} (expected v{version})")

        if port_dir != source_port:
            port_dir.mkdir(parents=True, exist_ok=True)
            for f in source_port.iterdir():
                if f.is_file():
                    shutil.copy2(f, port_dir / f.name)
        write_port(port_dir, tag, version, sha512, how)
        print(f"vcpkg port {port_dir}: version {version}, REF {tag}, SHA512 {sha512}")
        if how == "github-archive" and not args.from_file:
            print("note: hash of the local `git archive`; before publishing the port, confirm it with "
                  f"--from-file on {HOMEPAGE}/archive/{tag}.tar.gz")
        return 0
    except (ReleaseError, OSError, json.JSONDecodeError) as e:
        print(f"release.py: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
