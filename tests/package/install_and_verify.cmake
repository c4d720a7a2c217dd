# cmake -DBUILD_DIR=<sqler build> -DPREFIX=<empty prefix> -DSOURCE_DIR=<sqler checkout>
#       -DWITH_POSTGRES=<ON|OFF> -DWITH_BOOST_JSON=<ON|OFF> -P install_and_verify.cmake
# Installs sqler into a fresh prefix and checks the layout consumers and vcpkg rely on: every
# header (the PostgreSQL backend's only WITH_POSTGRES), and the exported targets: sqler::sqler,
# plus sqler::postgres and sqler::boost_json exactly when the build has them.
foreach(var BUILD_DIR PREFIX SOURCE_DIR WITH_POSTGRES WITH_BOOST_JSON)
  if(NOT DEFINED ${var} OR (NOT ${var} AND NOT var MATCHES "^WITH_"))
    message(FATAL_ERROR "install_and_verify.cmake: pass -D${var}=...")
  endif()
endforeach()

file(REMOVE_RECURSE "${PREFIX}")  # a leftover header from an earlier run must not hide a gap
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${result}):\n${output}")
endif()

set(missing "")
foreach(file sqlerConfig.cmake sqlerConfigVersion.cmake sqlerTargets.cmake)
  if(NOT EXISTS "${PREFIX}/share/sqler/${file}")
    list(APPEND missing "share/sqler/${file}")
  endif()
endforeach()

# Every header in the source tree must be installed: one left out of the target's HEADERS file
# set compiles in-tree but breaks every installed consumer that reaches it.
# The PostgreSQL backend's headers (file names with "postgres", as CMakeLists.txt selects them)
# belong to sqler::postgres and are installed only with it.
file(GLOB_RECURSE headers RELATIVE "${SOURCE_DIR}/include" "${SOURCE_DIR}/include/*.hpp")
set(unexpected "")
foreach(header IN LISTS headers)
  if(header MATCHES "postgres" AND NOT WITH_POSTGRES)
    if(EXISTS "${PREFIX}/include/${header}")
      list(APPEND unexpected "include/${header}  (sqler was built without the PostgreSQL backend)")
    endif()
  elseif(NOT EXISTS "${PREFIX}/include/${header}")
    list(APPEND missing "include/${header}  (add it to the FILE_SET HEADERS of target sqler or sqler_postgres in CMakeLists.txt)")
  endif()
endforeach()

# The exported targets (sqlerTargets.cmake declares each as add_library(sqler::<name> ...)).
if(EXISTS "${PREFIX}/share/sqler/sqlerTargets.cmake")
  file(READ "${PREFIX}/share/sqler/sqlerTargets.cmake" targets_file)
  foreach(pair "sqler;ON" "postgres;${WITH_POSTGRES}" "boost_json;${WITH_BOOST_JSON}")
    list(GET pair 0 name)
    list(GET pair 1 wanted)
    string(FIND "${targets_file}" "add_library(sqler::${name} " at)
    if(wanted AND at EQUAL -1)
      list(APPEND missing "target sqler::${name} in share/sqler/sqlerTargets.cmake")
    elseif(NOT wanted AND NOT at EQUAL -1)
      list(APPEND unexpected "target sqler::${name} (the build does not have it)")
    endif()
  endforeach()
endif()
list(LENGTH headers header_count)
if(header_count EQUAL 0)
  message(FATAL_ERROR "no headers found under ${SOURCE_DIR}/include")
endif()

if(missing OR unexpected)
  list(JOIN missing "\n  " missing)
  list(JOIN unexpected "\n  " unexpected)
  message(FATAL_ERROR "installed package does not match the build;\nmissing:\n  ${missing}\nunexpected:\n  ${unexpected}")
endif()
message(STATUS "installed the headers and the CMake package (sqler::sqler; sqler::postgres: "
               "${WITH_POSTGRES}; sqler::boost_json: ${WITH_BOOST_JSON}) into ${PREFIX}")
