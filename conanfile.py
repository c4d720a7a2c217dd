# Conan 2 recipe for sqler (header-only).
#   conan create . --build=missing          # package + run test_package/
# The version is read from include/sqler/version.hpp, so it is never edited here.
import os
import re

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"


class SqlerConan(ConanFile):
    name = "sqler"
    description = ("Plain aggregate structs stored as JSON documents in SQLite, queried with a "
                   "compile-time-checked DSL")
    license = "MIT"
    topics = ("sqlite", "json", "orm", "document-store", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    # package() copies headers rather than running sqler's CMake install: that would need
    # Boost and SQLite found at package time for a library that compiles nothing. The CMake
    # files still travel along so a source package is complete.
    exports_sources = "include/*", "CMakeLists.txt", "cmake/*", "LICENSE"
    no_copy_source = True

    def set_version(self):
        text = load(self, os.path.join(self.recipe_folder, "include", "sqler", "version.hpp"))
        self.version = re.search(r'#define\s+SQLER_VERSION_STRING\s+"([^"]+)"', text).group(1)

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        # Public headers include Boost.PFR, Boost.JSON and sqlite3.h: consumers need them too.
        # Boost.JSON is a compiled library (Boost::json); SQLite >= 3.38 has JSON built in.
        self.requires("boost/[>=1.81.0 <2]", transitive_headers=True, transitive_libs=True)
        self.requires("sqlite3/[>=3.38.0 <4]", transitive_headers=True, transitive_libs=True)

    def package_id(self):
        self.info.clear()

    def validate(self):
        if self.settings.compiler.get_safe("cppstd"):
            check_min_cppstd(self, 20)

    def package(self):
        copy(self, "LICENSE", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))
        copy(self, "*.hpp", src=os.path.join(self.source_folder, "include"),
             dst=os.path.join(self.package_folder, "include"))

    def package_info(self):
        # Same file and target names as sqler's own CMake package, so consumers' CMake code is
        # identical whichever way they got sqler.
        self.cpp_info.set_property("cmake_file_name", "sqler")
        self.cpp_info.set_property("cmake_target_name", "sqler::sqler")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.requires = ["boost::headers", "boost::json", "sqlite3::sqlite3"]
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread"]
