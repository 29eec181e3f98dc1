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

# The training library (tools/lib/Training) and the model-library loader it
# drives models through, for apps: dnnc::training. Their LLVM Support and
# Object come from the static archives of the LLVM that dnnc was built with,
# as for dnn-run (dnnc::llvm_for_tools).
install(TARGETS dnnTraining dnnModelLibrary dnncStandaloneLLVM EXPORT dnncTargets
  ARCHIVE DESTINATION ${DNNC_INSTALL_LIBDIR})
set_target_properties(dnnTraining PROPERTIES EXPORT_NAME training)
set_target_properties(dnnModelLibrary PROPERTIES EXPORT_NAME model_library)
set_target_properties(dnncStandaloneLLVM PROPERTIES EXPORT_NAME llvm_for_tools)
install(FILES
  ${PROJECT_SOURCE_DIR}/tools/lib/ModelLibrary.h
  ${PROJECT_SOURCE_DIR}/tools/lib/Training/Dataset.h
  ${PROJECT_SOURCE_DIR}/tools/lib/Training/Evaluator.h
  ${PROJECT_SOURCE_DIR}/tools/lib/Training/Trainer.h
  DESTINATION ${DNNC_INSTALL_INCLUDEDIR}/dnn/training)

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
