#!/usr/bin/env python3
"""Checks the package manager recipes that cannot be exercised here (no vcpkg/conan registry).

- vcpkg.json and the overlay port's vcpkg.json are valid JSON with the right name, version and
  dependencies;
- the versions in CMakeLists.txt and both vcpkg manifests equal include/sqler/version.hpp;
- conanfile.py and test_package/conanfile.py are valid Python, and the recipe's own logic
  (set_version, requirements, package_info) runs against a minimal stand-in for the conan module
  and yields what CMakeDeps needs for find_package(sqler) / sqler::sqler.

Prints every problem found; exit status 1 if there is any.
"""

import ast
import json
import pathlib
import re
import sys
import types

ROOT = pathlib.Path(__file__).resolve().parents[2]
problems = []


def problem(message):
    problems.append(message)


def header_version():
    text = (ROOT / "include/sqler/version.hpp").read_text(encoding="utf-8")
    parts = {k: re.search(rf"#define\s+SQLER_VERSION_{k}\s+(\d+)", text).group(1)
             for k in ("MAJOR", "MINOR", "PATCH")}
    string = re.search(r'#define\s+SQLER_VERSION_STRING\s+"([^"]+)"', text).group(1)
    numeric = f"{parts['MAJOR']}.{parts['MINOR']}.{parts['PATCH']}"
    if string != numeric:
        problem(f"version.hpp: SQLER_VERSION_STRING {string!r} != {numeric!r} from the parts")
    return string


def check_cmake(version):
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    match = re.search(r"project\(\s*sqler\s+VERSION\s+([0-9.]+)", text)
    if not match:
        problem("CMakeLists.txt: project(sqler VERSION ...) not found")
    elif match.group(1) != version:
        problem(f"CMakeLists.txt: project VERSION {match.group(1)} != version.hpp {version}")


def dependency_names(manifest):
    return {d if isinstance(d, str) else d["name"] for d in manifest.get("dependencies", [])}


def load_json(relative):
    try:
        return json.loads((ROOT / relative).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        problem(f"{relative}: {e}")
        return None


def check_vcpkg(version):
    # No Hana: compile-time strings are sqler's own consteval fixed_string (see DESIGN notes).
    library_deps = {"boost-pfr", "boost-json", "sqlite3"}
    for relative, extra in (("vcpkg.json", set()),
                            ("packaging/vcpkg/ports/sqler/vcpkg.json",
                             {"vcpkg-cmake", "vcpkg-cmake-config"})):
        manifest = load_json(relative)
        if manifest is None:
            continue
        if manifest.get("name") != "sqler":
            problem(f"{relative}: name is {manifest.get('name')!r}, expected 'sqler'")
        if manifest.get("version") != version:
            problem(f"{relative}: version {manifest.get('version')!r} != version.hpp {version}")
        missing = (library_deps | extra) - dependency_names(manifest)
        if missing:
            problem(f"{relative}: missing dependencies {sorted(missing)}")
        for dep in manifest.get("dependencies", []):
            if isinstance(dep, dict) and dep["name"].startswith("vcpkg-") and not dep.get("host"):
                problem(f"{relative}: {dep['name']} must be a host dependency")
        if relative == "vcpkg.json":
            features = manifest.get("features", {})
            for feature, dep in (("tests", "gtest"), ("bench", "benchmark")):
                if dep not in dependency_names(features.get(feature, {})):
                    problem(f"vcpkg.json: feature {feature!r} must depend on {dep}")

    portfile = (ROOT / "packaging/vcpkg/ports/sqler/portfile.cmake").read_text(encoding="utf-8")
    for needle in ("vcpkg_cmake_configure", "vcpkg_cmake_install",
                   "vcpkg_cmake_config_fixup(PACKAGE_NAME sqler CONFIG_PATH share/sqler)",
                   "vcpkg_install_copyright", "-DSQLER_BUILD_TESTS=OFF"):
        if needle not in portfile:
            problem(f"portfile.cmake: {needle!r} not found")


class _Recorder:
    """Stands in for conan's cpp_info / settings: records what the recipe sets."""

    def __init__(self, **values):
        self.__dict__.update(values)
        self.properties = {}

    def set_property(self, name, value):
        self.properties[name] = value

    def get_safe(self, name):
        return self.__dict__.get(name)


def _install_fake_conan():
    """Just enough of the conan 2 module tree for the recipe to import and run its methods."""
    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m

    class ConanFile:
        pass

    def load(_conanfile, path):
        return pathlib.Path(path).read_text(encoding="utf-8")

    module("conan", ConanFile=ConanFile)
    module("conan.tools")
    module("conan.tools.build", check_min_cppstd=lambda *a, **k: None, can_run=lambda *a: True)
    module("conan.tools.files", copy=lambda *a, **k: None, load=load)
    module("conan.tools.layout", basic_layout=lambda *a, **k: None)
    module("conan.tools.cmake", CMake=object, cmake_layout=lambda *a, **k: None)


def check_conan(version):
    sources = {}
    for relative in ("conanfile.py", "test_package/conanfile.py"):
        try:
            sources[relative] = (ROOT / relative).read_text(encoding="utf-8")
            ast.parse(sources[relative], relative)
        except (OSError, SyntaxError) as e:
            problem(f"{relative}: {e}")
    if "conanfile.py" not in sources or problems:
        return

    _install_fake_conan()
    namespace = {"__file__": str(ROOT / "conanfile.py"), "__name__": "sqler_recipe"}
    exec(compile(sources["conanfile.py"], "conanfile.py", "exec"), namespace)
    recipe_class = next(v for v in namespace.values()
                        if isinstance(v, type) and getattr(v, "name", None) == "sqler")
    recipe = recipe_class()
    recipe.recipe_folder = str(ROOT)
    recipe.settings = _Recorder(os="Linux")
    recipe.cpp_info = _Recorder()
    requires = []
    recipe.requires = lambda ref, **traits: requires.append(ref)

    if recipe.package_type != "header-library":
        problem(f"conanfile.py: package_type {recipe.package_type!r}, expected 'header-library'")
    exported = set(recipe.exports_sources)
    for pattern in ("include/*", "LICENSE"):
        if pattern not in exported:
            problem(f"conanfile.py: exports_sources lacks {pattern!r}")

    recipe.set_version()
    if recipe.version != version:
        problem(f"conanfile.py: set_version() gave {recipe.version!r}, expected {version}")
    recipe.requirements()
    for name in ("boost", "sqlite3"):
        if not any(r.split("/")[0] == name for r in requires):
            problem(f"conanfile.py: requirements() does not require {name}")
    recipe.package_info()
    props = recipe.cpp_info.properties
    if props.get("cmake_file_name") != "sqler" or props.get("cmake_target_name") != "sqler::sqler":
        problem(f"conanfile.py: CMake names {props}, expected file 'sqler', target 'sqler::sqler'")
    for component in ("boost::json", "sqlite3::sqlite3"):
        if component not in getattr(recipe.cpp_info, "requires", []):
            problem(f"conanfile.py: package_info() does not require {component}")

    test_package = sources.get("test_package/conanfile.py", "")
    if "tested_reference_str" not in test_package:
        problem("test_package/conanfile.py: does not require the tested reference")
    cmake = (ROOT / "test_package/CMakeLists.txt").read_text(encoding="utf-8")
    if "find_package(sqler CONFIG REQUIRED)" not in cmake or "sqler::sqler" not in cmake:
        problem("test_package/CMakeLists.txt: must use find_package(sqler CONFIG REQUIRED) and sqler::sqler")


def main():
    version = header_version()
    check_cmake(version)
    check_vcpkg(version)
    check_conan(version)
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if not problems:
        print(f"manifests consistent with sqler {version}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
