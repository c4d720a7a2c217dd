# Conan 2 recipe for sqler (header-only).
#   conan create . --build=missing                      # package + run test_package/
#   conan create . --build=missing -o "sqler/*:postgres=True"
#   conan create . --build=missing -o "sqler/*:boost_json=False"   # Boost.PFR only, no Boost.JSON
# The version is read from include/sqler/version.hpp, so it is never edited here.
import os
import re

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout
from conan.tools.scm import Version

required_conan_version = ">=2.0"


class SqlerConan(ConanFile):
    name = "sqler"
    description = ("Plain aggregate structs stored as JSON documents in SQLite, queried with a "
                   "compile-time-checked DSL")
    license = "MIT"
    homepage = "https://github.com/sqler/sqler"  # = HOMEPAGE in scripts/release.py
    url = homepage
    topics = ("sqlite", "json", "orm", "document-store", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    options = {
        # The PostgreSQL backend (target sqler::postgres) and its client library, libpq.
        "postgres": [True, False],
        # The opt-in Boost.JSON adapter sqler/boost_json.hpp (target sqler::boost_json), which
        # links Boost.JSON; the core uses only header-only Boost.PFR.
        "boost_json": [True, False],
    }
    default_options = {
        "postgres": False,
        "boost_json": True,
        # collection::ensure_fts() and match() need FTS5, which conan's sqlite3 leaves off.
        "sqlite3/*:enable_fts5": True,
        # JSON (json_extract, json_each) is built into SQLite >= 3.38 whatever this says: the
        # recipe's enable_json1 only adds the no-op SQLITE_ENABLE_JSON1. Set for older recipes
        # and to say what sqler uses.
        "sqlite3/*:enable_json1": True,
    }
    # package() copies headers rather than running sqler's CMake install: that would need
    # Boost and SQLite found at package time for a library that compiles nothing. The CMake
    # files still travel along so a source package is complete.
    exports_sources = "include/*", "CMakeLists.txt", "cmake/*", "LICENSE"
    no_copy_source = True

    # The oldest compilers that build sqler's C++20 (concepts, consteval, class-type template
    # parameters, <span>/<bit>). Unknown compilers are let through with a warning.
    _compilers_minimum_version = {
        "gcc": "12",
        "clang": "14",
        "apple-clang": "15",
        "msvc": "193",
    }

    def set_version(self):
        text = load(self, os.path.join(self.recipe_folder, "include", "sqler", "version.hpp"))
        self.version = re.search(r'#define\s+SQLER_VERSION_STRING\s+"([^"]+)"', text).group(1)

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        # Public headers include Boost.PFR and sqlite3.h (libpq-fe.h with postgres, Boost.JSON
        # with boost_json): consumers need them too. Boost.JSON is a compiled library
        # (Boost::json); SQLite >= 3.38 has JSON built in.
        self.requires("boost/[>=1.81.0 <2]", transitive_headers=True,
                      transitive_libs=bool(self.options.boost_json))
        self.requires("sqlite3/[>=3.38.0 <4]", transitive_headers=True, transitive_libs=True)
        if self.options.postgres:
            self.requires("libpq/[>=14 <19]", transitive_headers=True, transitive_libs=True)

    def package_id(self):
        self.info.clear()

    def validate(self):
        compiler = str(self.settings.compiler)
        minimum = self._compilers_minimum_version.get(compiler)
        if minimum is None:
            self.output.warning(f"{self.name}/{self.version} needs C++20; compiler {compiler} is not known to this "
                                "recipe, assuming it supports C++20")
        elif Version(self.settings.compiler.version) < minimum:
            raise ConanInvalidConfiguration(
                f"{self.name}/{self.version} needs C++20 and {compiler} >= {minimum}; this profile has "
                f"{compiler} {self.settings.compiler.version}")
        # Only checked when the profile sets it: with cppstd unset, sqler's CMake target still
        # asks for C++20 (target_compile_features), so e.g. gcc 12's default gnu17 is fine.
        if self.settings.get_safe("compiler.cppstd"):
            check_min_cppstd(self, 20)
        if self.options.boost_json:
            boost = self.dependencies["boost"].options
            if boost.get_safe("header_only") or boost.get_safe("without_json"):
                raise ConanInvalidConfiguration(
                    f"{self.name}/{self.version}: boost_json=True needs Boost.JSON built: drop "
                    "boost's header_only/without_json, or use -o \"sqler/*:boost_json=False\"")
        if not self.dependencies["sqlite3"].options.enable_fts5:
            raise ConanInvalidConfiguration(
                f"{self.name}/{self.version} needs SQLite's FTS5: use -o \"sqlite3/*:enable_fts5=True\"")

    def package(self):
        copy(self, "LICENSE", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))
        copy(self, "*.hpp", src=os.path.join(self.source_folder, "include"),
             dst=os.path.join(self.package_folder, "include"))

    def package_info(self):
        # Same file and target names as sqler's own CMake package, so consumers' CMake code is
        # identical whichever way they got sqler. The aggregate target of all components gets
        # its own name so that sqler::sqler stays the core alone.
        self.cpp_info.set_property("cmake_file_name", "sqler")
        self.cpp_info.set_property("cmake_target_name", "sqler::sqler_all")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []

        core = self.cpp_info.components["core"]
        core.set_property("cmake_target_name", "sqler::sqler")
        core.bindirs = []
        core.libdirs = []
        core.requires = ["boost::headers", "sqlite3::sqlite3"]
        if self.settings.os in ("Linux", "FreeBSD"):
            core.system_libs = ["pthread"]

        if self.options.boost_json:
            adapter = self.cpp_info.components["boost_json"]
            adapter.set_property("cmake_target_name", "sqler::boost_json")
            adapter.bindirs = []
            adapter.libdirs = []
            adapter.requires = ["core", "boost::json"]

        if self.options.postgres:
            postgres = self.cpp_info.components["postgres"]
            postgres.set_property("cmake_target_name", "sqler::postgres")
            postgres.bindirs = []
            postgres.libdirs = []
            postgres.requires = ["core", "libpq::libpq"]
