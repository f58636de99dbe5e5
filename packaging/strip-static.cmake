# A CPack pre-build script (packaging/CMakeLists.txt): after CPack installed the package's files
# into its staging folder, and before it packs them, takes the debug info out of the static
# client library. `--strip-debug` keeps the symbol table, so the library still links.
file(GLOB_RECURSE archives "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*.a")
find_program(SPOOL_STRIP NAMES strip REQUIRED)
foreach(archive IN LISTS archives)
  execute_process(COMMAND "${SPOOL_STRIP}" --strip-debug "${archive}" COMMAND_ERROR_IS_FATAL ANY)
endforeach()
