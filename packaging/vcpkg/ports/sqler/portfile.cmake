# vcpkg port for sqler (header-only). Use it as an overlay port:
#   vcpkg install sqler --overlay-ports=<sqler checkout>/packaging/vcpkg/ports
# or, in a manifest project, list "sqler" as a dependency and set VCPKG_OVERLAY_PORTS.
set(VCPKG_BUILD_TYPE release)  # nothing is compiled, so a debug configuration adds nothing

# Inside an sqler checkout the port builds that checkout, so an overlay port always matches
# the sources next to it. Copied into another ports tree it falls back to the release tarball.
# vcpkg's binary cache does not hash these local sources: after editing headers, reinstall with
# --no-binarycaching (or bump the port version) to pick the edits up.
get_filename_component(SQLER_CHECKOUT "${CMAKE_CURRENT_LIST_DIR}/../../../.." ABSOLUTE)
if(EXISTS "${SQLER_CHECKOUT}/include/sqler/sqler.hpp" AND EXISTS "${SQLER_CHECKOUT}/cmake/sqlerConfig.cmake.in")
  set(SOURCE_PATH "${SQLER_CHECKOUT}")
else()
  # PLACEHOLDER until sqler is published: replace OWNER with the real GitHub owner. With
  # SHA512 0 vcpkg downloads the tag, fails, and prints the hash to paste here.
  vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO OWNER/sqler
    REF "v${VERSION}"
    SHA512 0
    HEAD_REF main
  )
endif()

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DSQLER_BUILD_TESTS=OFF
    -DSQLER_BUILD_BENCH=OFF
    -DSQLER_BUILD_EXAMPLES=OFF
    -DSQLER_INSTALL=ON
)
vcpkg_cmake_install()
# sqler installs its config to share/sqler already; fixup still rewrites absolute paths.
vcpkg_cmake_config_fixup(PACKAGE_NAME sqler CONFIG_PATH share/sqler)

# Header-only: no libraries, and the doc copy of LICENSE is replaced by vcpkg's copyright file.
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug" "${CURRENT_PACKAGES_DIR}/lib" "${CURRENT_PACKAGES_DIR}/share/doc")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
