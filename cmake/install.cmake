# `cmake --install` puts the C++ client library where other projects find it:
#   headers     <prefix>/include/spool/*.hpp
#   library     <prefix>/lib/libspool_client.a
#   CMake       find_package(spool) -> target spool::client
#   pkg-config  `pkg-config --cflags --libs spool`
# and the `spool` binary in <prefix>/bin. examples/ builds against exactly this (scripts/test.sh).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/spool DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS spool_client EXPORT spoolTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT spoolTargets NAMESPACE spool:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/spool)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/spoolConfig.cmake.in
  ${PROJECT_BINARY_DIR}/spoolConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/spool)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/spoolConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/spoolConfig.cmake ${PROJECT_BINARY_DIR}/spoolConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/spool)

file(RELATIVE_PATH SPOOL_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(${PROJECT_SOURCE_DIR}/cmake/spool.pc.in ${PROJECT_BINARY_DIR}/spool.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/spool.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
