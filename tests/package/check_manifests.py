#!/usr/bin/env python3
"""Checks the package manager recipes that cannot be exercised here (no vcpkg/conan registry)
against the sources they package.

- What the sources need, read from the sources: Boost.PFR (#includes), Boost.JSON (#included by
  the core, or only by the opt-in adapter sqler/boost_json.hpp; CMake's find_package(Boost
  <min> ... json)), SQLite's FTS5 (a "USING fts5" table in the headers) and JSON functions
  (json_extract/json_each), libpq (<libpq-fe.h>), the CMake options SQLER_WITH_POSTGRES and
  SQLER_WITH_BOOST_JSON, the MIT LICENSE.
- vcpkg.json and the overlay port's vcpkg.json: name, version (= version.hpp), homepage
  (= release.py's HOMEPAGE), license, dependencies, sqlite3 features fts5 + json1, the
  "postgres" feature on libpq, the "boost-json" feature on boost-json (and boost-json not a
  core dependency when only the adapter uses it); the port also "supports".
- The port (portfile.cmake, usage): scripts/release.py --check's rules (REPO, REF "v${VERSION}",
  the SHA512 belongs to this version), and the real vcpkg steps; each feature's CMake option is
  one sqler's CMakeLists.txt has (postgres -> SQLER_WITH_POSTGRES, boost-json ->
  SQLER_WITH_BOOST_JSON), and the usage names each feature's target.
- conanfile.py and test_package/conanfile.py are valid Python; the recipe's own methods run
  against a minimal stand-in for the conan module: set_version, requirements with and without
  postgres, default options of sqlite3, validate() at each compiler minimum and below it, C++
  standard, FTS5 and (boost_json) a Boost built with JSON, and package_info's CMake names and
  components: sqler::sqler without Boost.JSON when only the adapter needs it, sqler::postgres
  with postgres=True, sqler::boost_json with boost_json=True, each only then.
- CMakeLists.txt's project VERSION = version.hpp.

Prints every problem found; exit status 1 if there is any.
"""

import ast
import importlib.util
import json
import pathlib
import re
import sys
import types

ROOT = pathlib.Path(__file__).resolve().parents[2]
PORT_DIR = ROOT / "packaging/vcpkg/ports/sqler"
# The oldest compilers sqler supports (README / scripts/setup.sh test g++ 12 and clang++ 14).
MIN_COMPILERS = {"gcc": "12", "clang": "14", "apple-clang": "15", "msvc": "193"}
problems = []


def problem(message):
    problems.append(message)


def load_release_script():
    spec = importlib.util.spec_from_file_location("sqler_release", ROOT / "scripts/release.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


release = load_release_script()


def header_version():
    text = (ROOT / "include/sqler/version.hpp").read_text(encoding="utf-8")
    parts = {k: re.search(rf"#define\s+SQLER_VERSION_{k}\s+(\d+)", text).group(1)
             for k in ("MAJOR", "MINOR", "PATCH")}
    string = re.search(r'#define\s+SQLER_VERSION_STRING\s+"([^"]+)"', text).group(1)
    numeric = f"{parts['MAJOR']}.{parts['MINOR']}.{parts['PATCH']}"
    if string != numeric:
        problem(f"version.hpp: SQLER_VERSION_STRING {string!r} != {numeric!r} from the parts")
    return string


def source_needs():
    """What sqler's sources use, as package names and features."""
    paths = sorted((ROOT / "include").rglob("*.hpp"))
    headers = "\n".join(p.read_text(encoding="utf-8") for p in paths)
    adapter = ROOT / "include/sqler/boost_json.hpp"
    core_headers = "\n".join(p.read_text(encoding="utf-8") for p in paths if p != adapter)
    cmake = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    boost = re.search(r"find_package\(\s*Boost\s+([0-9.]+)[^)]*COMPONENTS([^)]*)\)", cmake)
    needs = {
        "boost_min": boost.group(1) if boost else None,
        "boost-json": "<boost/json" in headers or bool(boost and "json" in boost.group(2).split()),
        # Boost.JSON for everyone (a core header includes it), or only for the opt-in adapter.
        "core-boost-json": "<boost/json" in core_headers,
        "boost-json-adapter": adapter.is_file() and "<boost/json" in adapter.read_text(encoding="utf-8"),
        "libpq": "<libpq-fe.h>" in headers,
        "boost-pfr": "<boost/pfr" in headers,
        "sqlite3": "<sqlite3.h>" in headers,
        "fts5": re.search(r"USING fts5\b", headers, re.IGNORECASE) is not None,
        "json1": re.search(r"\bjson_(extract|each|set|patch|remove|insert)\b", headers) is not None,
        # option names sqler's CMake gives its PostgreSQL backend and its Boost.JSON adapter
        "postgres_options": set(re.findall(r"option\(\s*(SQLER_\w*POSTGRES\w*)", cmake)),
        "boost_json_options": set(re.findall(r"option\(\s*(SQLER_\w*BOOST_JSON\w*)", cmake)),
    }
    if not boost:
        problem("CMakeLists.txt: find_package(Boost <version> ... COMPONENTS ...) not found")
    for dep in ("boost-json", "boost-pfr", "sqlite3", "fts5", "json1", "libpq"):
        if not needs[dep]:
            problem(f"sources: no use of {dep} found; update check_manifests.py if it was dropped")
    for what, options in (("PostgreSQL backend", "postgres_options"), ("Boost.JSON adapter", "boost_json_options")):
        if len(needs[options]) != 1:
            problem(f"CMakeLists.txt: expected one option() for the {what}, found {sorted(needs[options])}")
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    if not license_text.startswith("MIT License"):
        problem("LICENSE: not the MIT license the recipes declare")
    return needs


def check_cmake(version):
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    match = re.search(r"project\(\s*sqler\s+VERSION\s+([0-9.]+)", text)
    if not match:
        problem("CMakeLists.txt: project(sqler VERSION ...) not found")
    elif match.group(1) != version:
        problem(f"CMakeLists.txt: project VERSION {match.group(1)} != version.hpp {version}")


def dependencies(deps):
    """{name: dependency object} of a vcpkg dependency list."""
    return {d if isinstance(d, str) else d["name"]: ({"name": d} if isinstance(d, str) else d)
            for d in deps}


def load_json(path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        problem(f"{path.relative_to(ROOT)}: {e}")
        return None


def check_vcpkg_manifest(relative, manifest, version, needs, extra):
    if manifest.get("name") != "sqler":
        problem(f"{relative}: name is {manifest.get('name')!r}, expected 'sqler'")
    if manifest.get("version") != version:
        problem(f"{relative}: version {manifest.get('version')!r} != version.hpp {version}")
    if manifest.get("homepage") != release.HOMEPAGE:
        problem(f"{relative}: homepage {manifest.get('homepage')!r} != {release.HOMEPAGE} (scripts/release.py)")
    if manifest.get("license") != "MIT":
        problem(f"{relative}: license {manifest.get('license')!r}, expected 'MIT' (LICENSE)")
    deps = dependencies(manifest.get("dependencies", []))
    core = {"boost-pfr", "sqlite3"} | ({"boost-json"} if needs["core-boost-json"] else set())
    missing = (core | extra) - deps.keys()
    if missing:
        problem(f"{relative}: missing dependencies {sorted(missing)}")
    if "boost-json" in deps and not needs["core-boost-json"]:
        problem(f"{relative}: boost-json is a core dependency, but only the opt-in adapter "
                "sqler/boost_json.hpp uses it: it belongs to the 'boost-json' feature")
    features = set(deps.get("sqlite3", {}).get("features", []))
    wanted = {f for f in ("fts5", "json1") if needs[f]}
    if not wanted <= features:
        # vcpkg's sqlite3 builds FTS5 only on request, and defines SQLITE_OMIT_JSON without json1.
        problem(f"{relative}: sqlite3 needs features {sorted(wanted)}, has {sorted(features)}")
    for dep in deps.values():
        if dep["name"].startswith("vcpkg-") and not dep.get("host"):
            problem(f"{relative}: {dep['name']} must be a host dependency")
    wanted_features = {"postgres": "libpq"}
    if needs["boost-json-adapter"] and not needs["core-boost-json"]:
        wanted_features["boost-json"] = "boost-json"
    for name, dep in wanted_features.items():
        feature = manifest.get("features", {}).get(name)
        if feature is None:
            problem(f"{relative}: no '{name}' feature")
        elif dep not in dependencies(feature.get("dependencies", [])):
            problem(f"{relative}: feature '{name}' must depend on {dep}")


def check_vcpkg(version, needs):
    manifest = load_json(ROOT / "vcpkg.json")
    if manifest is not None:
        check_vcpkg_manifest("vcpkg.json", manifest, version, needs, set())
        features = manifest.get("features", {})
        for feature, dep in (("tests", "gtest"), ("bench", "benchmark")):
            if dep not in dependencies(features.get(feature, {}).get("dependencies", [])):
                problem(f"vcpkg.json: feature {feature!r} must depend on {dep}")

    relative = "packaging/vcpkg/ports/sqler/vcpkg.json"
    port = load_json(PORT_DIR / "vcpkg.json")
    if port is None:
        return
    check_vcpkg_manifest(relative, port, version, needs, {"vcpkg-cmake", "vcpkg-cmake-config"})
    if not port.get("supports"):
        problem(f"{relative}: no 'supports' expression")
    if "default-features" in port:
        problem(f"{relative}: a registry port should not turn features on by default")
    root_features = set((manifest or {}).get("features", {})) - {"tests", "bench"}
    if root_features != set(port.get("features", {})):
        problem(f"vcpkg.json features {sorted(root_features)} (besides tests/bench) != port's "
                f"{sorted(port.get('features', {}))}")

    port_problems, _ = release.check_port(PORT_DIR, version)
    problems.extend(f"vcpkg port: {p} (scripts/release.py --check)" for p in port_problems)

    portfile = (PORT_DIR / "portfile.cmake").read_text(encoding="utf-8")
    code = "\n".join(line.split("#", 1)[0] for line in portfile.splitlines())
    for needle in ("vcpkg_from_github(", f"HEAD_REF {release.HEAD_REF}", "vcpkg_cmake_configure",
                   "vcpkg_cmake_install", "vcpkg_cmake_config_fixup(PACKAGE_NAME sqler CONFIG_PATH share/sqler)",
                   "vcpkg_install_copyright", "-DSQLER_BUILD_TESTS=OFF", "${FEATURE_OPTIONS}"):
        if needle not in code:
            problem(f"portfile.cmake: {needle!r} not found")
    if "CMAKE_CURRENT_LIST_DIR}/.." in code:
        problem("portfile.cmake: builds the surrounding checkout; a port takes its sources from vcpkg_from_github")
    features = re.search(r"vcpkg_check_features\(.*?FEATURES(.*?)\)", code, re.S)
    pairs = dict(re.findall(r"(\S+)\s+(\S+)", features.group(1))) if features else {}
    if set(pairs) != set(port.get("features", {})):
        problem(f"portfile.cmake: vcpkg_check_features maps {sorted(pairs)}, vcpkg.json has "
                f"{sorted(port.get('features', {}))}")
    for feature, options in (("postgres", "postgres_options"), ("boost-json", "boost_json_options")):
        option = pairs.get(feature)
        if feature in port.get("features", {}) and option not in needs[options]:
            problem(f"portfile.cmake: feature {feature} sets {option}, CMakeLists.txt has "
                    f"{sorted(needs[options])}")
    # An option sqler's CMake reads is never "maybe unused"; listing it hides a renamed option.
    maybe_unused = re.search(r"MAYBE_UNUSED_VARIABLES(.*?)\)", code, re.S)
    for option in (maybe_unused.group(1).split() if maybe_unused else []):
        if option in needs["postgres_options"] | needs["boost_json_options"]:
            problem(f"portfile.cmake: {option} is in MAYBE_UNUSED_VARIABLES, but CMakeLists.txt uses it")
    usage = (PORT_DIR / "usage").read_text(encoding="utf-8")
    for target in ("find_package(sqler CONFIG REQUIRED)", "sqler::sqler", "sqler::postgres", "sqler::boost_json"):
        if target not in usage:
            problem(f"packaging/vcpkg/ports/sqler/usage: does not mention {target}")


class _Recorder:
    """Stands in for conan's cpp_info / settings / options: records what the recipe sets."""

    def __init__(self, **values):
        self.__dict__.update(values)
        self.properties = {}

    def set_property(self, name, value):
        self.properties[name] = value

    def get_safe(self, name):
        node = self
        for part in name.split("."):
            node = getattr(node, part, None)
        return node


class _Components(dict):
    def __missing__(self, name):
        self[name] = _Recorder(requires=[])
        return self[name]


class _Compiler(str):
    """settings.compiler: compares and prints as its name, with .version and .cppstd."""

    def __new__(cls, name, version, cppstd):
        self = super().__new__(cls, name)
        self.version, self.cppstd = version, cppstd
        return self


class ConanInvalidConfiguration(Exception):
    pass


def _version_key(text):
    key = [int(x) for x in re.findall(r"\d+", str(text))]
    while len(key) > 1 and key[-1] == 0:  # 1.81.0 == 1.81
        key.pop()
    return tuple(key)


def _install_fake_conan():
    """Just enough of the conan 2 module tree for the recipe to import and run its methods."""
    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m

    class ConanFile:
        pass

    class Version:
        def __init__(self, value):
            self.key = _version_key(value)

        def __lt__(self, other):
            return self.key < _version_key(other)

    def check_min_cppstd(conanfile, minimum):
        cppstd = str(conanfile.settings.get_safe("compiler.cppstd")).replace("gnu", "")
        if int(cppstd) < int(minimum):
            raise ConanInvalidConfiguration(f"needs C++{minimum}, cppstd is {cppstd}")

    def load(_conanfile, path):
        return pathlib.Path(path).read_text(encoding="utf-8")

    module("conan", ConanFile=ConanFile)
    module("conan.errors", ConanInvalidConfiguration=ConanInvalidConfiguration)
    module("conan.tools")
    module("conan.tools.build", check_min_cppstd=check_min_cppstd, can_run=lambda *a: True)
    module("conan.tools.files", copy=lambda *a, **k: None, load=load)
    module("conan.tools.layout", basic_layout=lambda *a, **k: None)
    module("conan.tools.scm", Version=Version)
    module("conan.tools.cmake", CMake=object, cmake_layout=lambda *a, **k: None)


def _recipe(recipe_class, postgres=False, boost_json=True, compiler=("gcc", "12", None), fts5=True,
            boost_without_json=False):
    recipe = recipe_class()
    recipe.recipe_folder = str(ROOT)
    recipe.settings = _Recorder(os="Linux", compiler=_Compiler(*compiler))
    recipe.options = _Recorder(postgres=postgres, boost_json=boost_json)
    recipe.cpp_info = _Recorder(components=_Components())
    recipe.output = _Recorder(warning=lambda message: None)
    recipe.dependencies = {"sqlite3": _Recorder(options=_Recorder(enable_fts5=fts5)),
                           "boost": _Recorder(options=_Recorder(header_only=False,
                                                                without_json=boost_without_json))}
    recipe.requested = []
    recipe.requires = lambda ref, **traits: recipe.requested.append(ref)
    recipe.set_version()
    return recipe


def _valid(recipe_class, **config):
    try:
        _recipe(recipe_class, **config).validate()
        return True
    except ConanInvalidConfiguration:
        return False


def _range_minimum(ref):
    match = re.search(r"\[>=\s*([0-9.]+)", ref)
    return match.group(1) if match else None


def check_conan(version, needs):
    sources = {}
    for relative in ("conanfile.py", "test_package/conanfile.py"):
        try:
            text = (ROOT / relative).read_text(encoding="utf-8")
            ast.parse(text, relative)
            sources[relative] = text
        except (OSError, SyntaxError) as e:
            problem(f"{relative}: {e}")
    if "conanfile.py" not in sources:
        return

    _install_fake_conan()
    namespace = {"__file__": str(ROOT / "conanfile.py"), "__name__": "sqler_recipe"}
    exec(compile(sources["conanfile.py"], "conanfile.py", "exec"), namespace)
    recipe_class = next(v for v in namespace.values()
                        if isinstance(v, type) and getattr(v, "name", None) == "sqler")

    if recipe_class.package_type != "header-library":
        problem(f"conanfile.py: package_type {recipe_class.package_type!r}, expected 'header-library'")
    if recipe_class.license != "MIT":
        problem(f"conanfile.py: license {recipe_class.license!r}, expected 'MIT'")
    if getattr(recipe_class, "homepage", None) != release.HOMEPAGE:
        problem(f"conanfile.py: homepage {getattr(recipe_class, 'homepage', None)!r} != {release.HOMEPAGE}")
    exported = set(recipe_class.exports_sources)
    for pattern in ("include/*", "LICENSE"):
        if pattern not in exported:
            problem(f"conanfile.py: exports_sources lacks {pattern!r}")
    options = getattr(recipe_class, "options", {})
    defaults = getattr(recipe_class, "default_options", {})
    if set(options.get("postgres", [])) != {True, False} or defaults.get("postgres") is not False:
        problem("conanfile.py: needs option postgres [True, False], default False")
    adapter_option = needs["boost-json-adapter"] and not needs["core-boost-json"]
    if adapter_option and (set(options.get("boost_json", [])) != {True, False}
                           or defaults.get("boost_json") not in (True, False)):
        problem("conanfile.py: needs option boost_json [True, False] for sqler::boost_json")
    for feature, option in (("fts5", "enable_fts5"), ("json1", "enable_json1")):
        if needs[feature] and defaults.get(f"sqlite3/*:{option}") is not True:
            problem(f"conanfile.py: default_options must set 'sqlite3/*:{option}': True")

    recipe = _recipe(recipe_class)
    if recipe.version != version:
        problem(f"conanfile.py: set_version() gave {recipe.version!r}, expected {version}")

    recipe.requirements()
    names = {r.split("/")[0]: r for r in recipe.requested}
    for name in ("boost", "sqlite3"):
        if name not in names:
            problem(f"conanfile.py: requirements() does not require {name}")
    if "libpq" in names:
        problem("conanfile.py: requires libpq without postgres=True")
    boost_min = _range_minimum(names.get("boost", ""))
    if needs["boost_min"] and boost_min and _version_key(boost_min) != _version_key(needs["boost_min"]):
        problem(f"conanfile.py: boost range starts at {boost_min}, CMakeLists.txt finds Boost {needs['boost_min']}")
    with_pg = _recipe(recipe_class, postgres=True)
    with_pg.requirements()
    if not any(r.startswith("libpq/") for r in with_pg.requested):
        problem("conanfile.py: postgres=True does not require libpq")

    for compiler, minimum in MIN_COMPILERS.items():
        below = str(_version_key(minimum)[0] - 1)
        if not _valid(recipe_class, compiler=(compiler, minimum, None)):
            problem(f"conanfile.py: validate() rejects {compiler} {minimum}, the supported minimum")
        if _valid(recipe_class, compiler=(compiler, below, None)):
            problem(f"conanfile.py: validate() accepts {compiler} {below}, below the minimum {minimum}")
    if not _valid(recipe_class, compiler=("intel-cc", "2024", None)):
        problem("conanfile.py: validate() rejects a compiler it has no minimum for (should warn)")
    if _valid(recipe_class, compiler=("gcc", "13", "17")):
        problem("conanfile.py: validate() accepts compiler.cppstd=17")
    if not _valid(recipe_class, compiler=("gcc", "13", "gnu20")):
        problem("conanfile.py: validate() rejects compiler.cppstd=gnu20")
    if needs["fts5"] and _valid(recipe_class, fts5=False):
        problem("conanfile.py: validate() accepts a sqlite3 built without FTS5")
    configs = [recipe, with_pg]
    if adapter_option:
        if _valid(recipe_class, boost_json=True, boost_without_json=True):
            problem("conanfile.py: validate() accepts boost_json=True with a Boost built without JSON")
        if not _valid(recipe_class, boost_json=False, boost_without_json=True):
            problem("conanfile.py: validate() rejects boost_json=False with a Boost built without JSON")
        configs.append(_recipe(recipe_class, boost_json=False))
        configs.append(_recipe(recipe_class, boost_json=True, postgres=True))

    for config in configs:
        config.package_info()
        info = config.cpp_info
        if info.properties.get("cmake_file_name") != "sqler":
            problem(f"conanfile.py: cmake_file_name {info.properties.get('cmake_file_name')!r}, expected 'sqler'")
        targets = {c.properties.get("cmake_target_name"): (name, c) for name, c in info.components.items()}
        if "sqler::sqler" not in targets:
            problem(f"conanfile.py: no component with CMake target sqler::sqler (have {sorted(targets)})")
            continue
        core_name, core = targets["sqler::sqler"]
        core_requires = ["boost::headers", "sqlite3::sqlite3"] + (["boost::json"] if needs["core-boost-json"] else [])
        for req in core_requires:
            if req not in core.requires:
                problem(f"conanfile.py: component {core_name} (sqler::sqler) does not require {req}")
        if not needs["core-boost-json"] and "boost::json" in core.requires:
            problem(f"conanfile.py: component {core_name} (sqler::sqler) requires boost::json, which "
                    "only the adapter (sqler::boost_json) needs")
        if adapter_option:
            adapter = targets.get("sqler::boost_json")
            if config.options.boost_json and not adapter:
                problem("conanfile.py: boost_json=True gives no sqler::boost_json component")
            elif config.options.boost_json and not {core_name, "boost::json"} <= set(adapter[1].requires):
                problem(f"conanfile.py: sqler::boost_json must require {core_name} and boost::json")
            elif not config.options.boost_json and adapter:
                problem("conanfile.py: sqler::boost_json exists without boost_json=True")
        if info.properties.get("cmake_target_name") in targets:
            problem("conanfile.py: the aggregate target's name is also a component's")
        postgres = targets.get("sqler::postgres")
        if config.options.postgres and not postgres:
            problem("conanfile.py: postgres=True gives no sqler::postgres component")
        elif config.options.postgres and not {core_name, "libpq::libpq"} <= set(postgres[1].requires):
            problem(f"conanfile.py: sqler::postgres must require {core_name} and libpq::libpq")
        elif not config.options.postgres and postgres:
            problem("conanfile.py: sqler::postgres exists without postgres=True")

    test_package = sources.get("test_package/conanfile.py", "")
    if "tested_reference_str" not in test_package:
        problem("test_package/conanfile.py: does not require the tested reference")
    cmake = (ROOT / "test_package/CMakeLists.txt").read_text(encoding="utf-8")
    if "find_package(sqler CONFIG REQUIRED)" not in cmake or "sqler::sqler" not in cmake:
        problem("test_package/CMakeLists.txt: must use find_package(sqler CONFIG REQUIRED) and sqler::sqler")
    if "sqler::postgres" not in cmake:
        problem("test_package/CMakeLists.txt: does not use sqler::postgres when the package has it "
                "(postgres=True would go untested)")


def main():
    version = header_version()
    needs = source_needs()
    check_cmake(version)
    check_vcpkg(version, needs)
    check_conan(version, needs)
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if not problems:
        print(f"manifests consistent with sqler {version}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
