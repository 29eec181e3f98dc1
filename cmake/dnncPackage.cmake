# Install rules and the CMake package of dnnc: `cmake --install build --prefix P`
# gives P/bin/{dnnc,dnn-run}, P/lib/libdnnrt.a, P/include/dnn/*.h and
# P/lib/cmake/dnnc/ (dnncConfig.cmake, dnncConfigVersion.cmake, the exported
# targets and dnncAddModel.cmake). An installed dnnc finds its runtime as
# <dnnc's directory>/../lib/libdnnrt.a, so bin/ and lib/ are fixed names here
# (not GNUInstallDirs' lib64 or multiarch directories).
include(CMakePackageConfigHelpers)

set(DNNC_INSTALL_BINDIR bin)
set(DNNC_INSTALL_LIBDIR lib)
set(DNNC_INSTALL_INCLUDEDIR include)
set(DNNC_INSTALL_CMAKEDIR ${DNNC_INSTALL_LIBDIR}/cmake/dnnc)

# The tools link the shared libMLIR.so / libLLVM.so, which live outside the
# system's library path: installed binaries keep an RPATH to them.
set_target_properties(dnnc dnn-run PROPERTIES INSTALL_RPATH "${LLVM_LIBRARY_DIR}")

install(TARGETS dnnc dnn-run EXPORT dnncTargets
  RUNTIME DESTINATION ${DNNC_INSTALL_BINDIR})
install(TARGETS dnnc_runtime_headers EXPORT dnncTargets)
# libdnnrt.a and include/dnn/*.h: runtime/CMakeLists.txt.

install(EXPORT dnncTargets
  NAMESPACE dnnc::
  DESTINATION ${DNNC_INSTALL_CMAKEDIR})
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/dnncConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/dnncConfig.cmake
  INSTALL_DESTINATION ${DNNC_INSTALL_CMAKEDIR}
  PATH_VARS DNNC_INSTALL_INCLUDEDIR DNNC_INSTALL_LIBDIR)
# 0.x: a minor release may change the ABI (dnn/model.h: DNN_ABI_VERSION).
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/dnncConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/dnncConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/dnncConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/dnncAddModel.cmake
  DESTINATION ${DNNC_INSTALL_CMAKEDIR})
