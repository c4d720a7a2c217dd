# cmake -DBUILD_DIR=<sqler build> -DPREFIX=<empty prefix> -DSOURCE_DIR=<sqler checkout> -P install_and_verify.cmake
# Installs sqler into a fresh prefix and checks the layout consumers and vcpkg rely on.
foreach(var BUILD_DIR PREFIX SOURCE_DIR)
  if(NOT ${var})
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
file(GLOB_RECURSE headers RELATIVE "${SOURCE_DIR}/include" "${SOURCE_DIR}/include/*.hpp")
foreach(header IN LISTS headers)
  if(NOT EXISTS "${PREFIX}/include/${header}")
    list(APPEND missing "include/${header}  (add it to the FILE_SET HEADERS of target sqler in CMakeLists.txt)")
  endif()
endforeach()
list(LENGTH headers header_count)
if(header_count EQUAL 0)
  message(FATAL_ERROR "no headers found under ${SOURCE_DIR}/include")
endif()

if(missing)
  list(JOIN missing "\n  " missing)
  message(FATAL_ERROR "installed package is incomplete; missing:\n  ${missing}")
endif()
message(STATUS "installed ${header_count} headers and the CMake package into ${PREFIX}")
