# spool_library(NAME SOURCES ... DEPS ...): one static library per module. Dependencies are
# PRIVATE unless listed under PUBLIC_DEPS, which is how the dependency rule
# core <- store <- engine <- http <- cli is held by the build itself.
function(spool_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_DEPS})
  spool_warnings(${name})
endfunction()

# spool_test(NAME SOURCES ... DEPS ...): a GoogleTest binary registered with CTest. Every test
# gets a timeout so a hung test fails instead of stalling CI.
function(spool_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest_main GTest::gmock)
  spool_warnings(${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT})
endfunction()

function(spool_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
  if(SPOOL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(SPOOL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Coverage instrumentation for libFuzzer on every target; the fuzzers themselves link libFuzzer
# (test/fuzz/CMakeLists.txt says how to configure that build).
if(SPOOL_FUZZ)
  # UB stops the run (as ASan findings do), so libFuzzer saves the input that caused it. Without
  # the "function" check: clang 14 cannot compile it in coroutines (push/callbacks.cpp fails with
  # "Cannot represent a difference across sections").
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function
                      -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined -fno-sanitize=function
                   -fno-sanitize-recover=undefined)
endif()
