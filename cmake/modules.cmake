# One static library per module, with the dependency rule of ARCHITECTURE.md
# enforced at configure time: a module that links a module it may not use
# fails the build.

set(LLMBENCH_ALLOWED_core "")
set(LLMBENCH_ALLOWED_net "core")
set(LLMBENCH_ALLOWED_engines "core;net")
set(LLMBENCH_ALLOWED_workload "core")
set(LLMBENCH_ALLOWED_config "core;workload")
set(LLMBENCH_ALLOWED_runner "core;net;engines;workload;config")
set(LLMBENCH_ALLOWED_metrics "core")
set(LLMBENCH_ALLOWED_monitor "core;net")
set(LLMBENCH_ALLOWED_report "core;metrics;config")
set(LLMBENCH_ALLOWED_store "core")
set(LLMBENCH_ALLOWED_sim "core;net")
set(LLMBENCH_ALLOWED_app "core;net;engines;workload;config;runner;metrics;monitor;report;store")
set(LLMBENCH_ALLOWED_cli "core;net;engines;workload;config;runner;metrics;monitor;report;store;sim;app")

# -Wnull-dereference is left out: at -O2 GCC 12 reports it inside inlined Boost.Asio code.
set(LLMBENCH_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wconversion -Wsign-conversion -Wimplicit-fallthrough)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports false -Wrestrict on std::string concatenation at -O2 (GCC bug 105329).
  list(APPEND LLMBENCH_WARNINGS -Wno-restrict)
  # GCC 12 pairs a coroutine frame's class-specific operator delete with the global new at
  # -O2 and reports -Wmismatched-new-delete on Asio awaitables (a known false positive).
  list(APPEND LLMBENCH_WARNINGS -Wno-mismatched-new-delete)
  if(LLMBENCH_SANITIZE)
    # With ASan at -O2, GCC 12 reports -Wmaybe-uninitialized inside Boost.Beast's parser
    # templates instantiated here. The clang -Werror build keeps checking our own code.
    list(APPEND LLMBENCH_WARNINGS -Wno-maybe-uninitialized)
  endif()
endif()

function(llmbench_warnings target)
  target_compile_options(${target} PRIVATE ${LLMBENCH_WARNINGS})
  if(LLMBENCH_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# llmbench_module(NAME SOURCES ... MODULES ... LIBS ...)
#   MODULES: other llmbench modules (checked against the allowed table)
#   LIBS:    third-party targets
function(llmbench_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;MODULES;LIBS" ${ARGN})
  foreach(dep IN LISTS ARG_MODULES)
    if(NOT dep IN_LIST LLMBENCH_ALLOWED_${name})
      message(FATAL_ERROR "module '${name}' may not depend on '${dep}' "
                          "(allowed: ${LLMBENCH_ALLOWED_${name}}); see ARCHITECTURE.md")
    endif()
  endforeach()
  add_library(llmbench_${name} STATIC ${ARG_SOURCES})
  target_include_directories(llmbench_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  list(TRANSFORM ARG_MODULES PREPEND llmbench_ OUTPUT_VARIABLE module_targets)
  target_link_libraries(llmbench_${name} PUBLIC ${module_targets} ${ARG_LIBS})
  llmbench_warnings(llmbench_${name})
endfunction()

# llmbench_test(NAME SOURCES ... LIBS ...): a GoogleTest binary registered with CTest.
# With LLMBENCH_TEST_SUBSET set (a list of test names, e.g. the ci-tsan preset's), only those
# are built and registered.
function(llmbench_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(LLMBENCH_TEST_SUBSET AND NOT name IN_LIST LLMBENCH_TEST_SUBSET)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
      LLMBENCH_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data")
  llmbench_warnings(${name})
  # A test that runs a benchmark in-process with a history database set stores there, never
  # in the real user's ~/.local/share.
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ENVIRONMENT
                       XDG_DATA_HOME=${CMAKE_BINARY_DIR}/test-xdg-data)
endfunction()
