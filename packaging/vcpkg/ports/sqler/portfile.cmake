# vcpkg port for sqler (header-only C++20). As an overlay port:
#   vcpkg install sqler --overlay-ports=<sqler checkout>/packaging/vcpkg/ports
# Like any registry port it builds the tagged release from GitHub, not the checkout around it.
# The REF/SHA512 pair and the version in vcpkg.json are written by scripts/release.py.
#
# Dependency features (vcpkg.json):
#  - sqlite3[fts5]: collection::ensure_fts() and match() use an FTS5 virtual table; vcpkg's
#    sqlite3 builds without FTS5 unless asked.
#  - sqlite3[json1]: sqler stores documents as JSON and queries them with json_extract and
#    json_each. SQLite >= 3.38 builds JSON in unless SQLITE_OMIT_JSON is defined, and the vcpkg
#    port defines SQLITE_OMIT_JSON exactly when its "json1" feature (a default feature) is off.
#    Naming it keeps JSON on for a consumer that turns sqlite3's default features off.
#  - feature "boost-json" -> boost-json, and -DSQLER_WITH_BOOST_JSON=ON for the opt-in adapter
#    sqler/boost_json.hpp (target sqler::boost_json). The core uses Boost.PFR only.
#  - feature "postgres" -> libpq, and -DSQLER_WITH_POSTGRES=ON for the PostgreSQL backend
#    (target sqler::postgres, headers sqler/postgres.hpp and sqler/detail/*/postgres*).
# vcpkg_check_features passes OFF for a feature not asked for, so sqler's CMake never picks up
# a Boost.JSON or libpq that some other port happened to install.
set(VCPKG_BUILD_TYPE release)  # header-only: a debug configuration would install the same files

# release.py: v0.2.0 unreleased (v0.2.0 is not tagged yet: SHA512 0 makes vcpkg print the real one)
vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO sqler/sqler
    REF "v${VERSION}"
    SHA512 0
    HEAD_REF main
)

vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
    FEATURES
        boost-json  SQLER_WITH_BOOST_JSON
        postgres    SQLER_WITH_POSTGRES
)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        ${FEATURE_OPTIONS}
        -DSQLER_BUILD_TESTS=OFF
        -DSQLER_BUILD_BENCH=OFF
        -DSQLER_BUILD_EXAMPLES=OFF
        -DSQLER_INSTALL=ON
)
vcpkg_cmake_install()
# sqler installs its config to share/sqler already; the fixup still rewrites absolute paths.
vcpkg_cmake_config_fixup(PACKAGE_NAME sqler CONFIG_PATH share/sqler)

# Header-only: no libraries, and the doc copy of LICENSE gives way to vcpkg's copyright file.
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug" "${CURRENT_PACKAGES_DIR}/lib" "${CURRENT_PACKAGES_DIR}/share/doc")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
