# sqler_consumer_link_optional(<target>): links sqler::postgres and sqler::boost_json into
# <target> when sqler provides them, and tells consumer.cpp so (SQLER_CONSUMER_POSTGRES,
# SQLER_CONSUMER_BOOST_JSON). SQLER_EXPECT_POSTGRES / SQLER_EXPECT_BOOST_JSON, when defined,
# say whether each target must exist (ON) or must not (OFF): the package has to expose exactly
# what the sqler it came from was built with. Shared by tests/consumer and
# tests/package/add_subdirectory.
function(sqler_consumer_link_optional target)
  foreach(pair "postgres;POSTGRES" "boost_json;BOOST_JSON")
    list(GET pair 0 name)
    list(GET pair 1 macro)
    if(TARGET sqler::${name})
      set(have ON)
    else()
      set(have OFF)
    endif()
    if(DEFINED SQLER_EXPECT_${macro})
      if(SQLER_EXPECT_${macro} AND NOT have)
        message(FATAL_ERROR "sqler was built with sqler::${name} (SQLER_WITH_${macro}=ON), "
                            "but the sqler found (${sqler_DIR}) does not provide it")
      elseif(NOT SQLER_EXPECT_${macro} AND have)
        message(FATAL_ERROR "the package provides sqler::${name}, but sqler was built without it")
      endif()
    endif()
    if(have)
      target_link_libraries(${target} PRIVATE sqler::${name})
      target_compile_definitions(${target} PRIVATE SQLER_CONSUMER_${macro}=1)
    endif()
    message(STATUS "sqler::${name}: ${have}")
  endforeach()
endfunction()
