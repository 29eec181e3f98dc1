# dnnc_add_model: compile a .dnn model into a shared library at build time.
#
#   dnnc_add_model(TARGET <name> SOURCE <model.dnn> [OPTIONS <dnnc option>...])
#
# Runs `dnnc <model.dnn> -o ${CMAKE_CURRENT_BINARY_DIR}/<name>.so [OPTIONS...]`,
# which also writes the C header <name>.h beside the library, and creates
# <name>, an INTERFACE library for apps to link with
# `target_link_libraries(app PRIVATE <name>)`. Linking it:
#   - adds the header's directory and the dnn/*.h headers to the include path;
#   - links <name>.so (as `-L<dir> -l:<name>.so`, so the app records the
#     library by its file name and finds it through its RPATH, which CMake
#     sets to <dir> in the build tree: no install step is needed to run);
#   - makes the app build after the model (the <name>_dnnc custom target).
# The generated functions are named after the model in the .dnn file (model
# mlp { ... } gives mlp_session_create, mlp_predict), not after <name>.
# Properties DNNC_MODEL_LIBRARY and DNNC_MODEL_HEADER of <name> hold the
# paths of the two files.
#
# This file is shared by the installed package (dnncConfig.cmake) and dnnc's
# own build tree. Whoever includes it provides:
#   dnnc::dnnc             the compiler, an executable target (an ALIAS of the
#                          dnnc target in the build tree, imported when installed);
#   dnnc::runtime_headers  an INTERFACE target with the include directory of dnn/*.h;
# and may set the global property DNNC_MODEL_DEPENDS to further dependencies
# of every model compile (the runtime archive dnnc embeds).
include_guard(GLOBAL)

function(dnnc_add_model)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "TARGET;SOURCE" "OPTIONS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "dnnc_add_model: unexpected arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_TARGET OR NOT ARG_SOURCE)
    message(FATAL_ERROR "dnnc_add_model: usage: "
      "dnnc_add_model(TARGET <name> SOURCE <model.dnn> [OPTIONS <dnnc option>...])")
  endif()
  foreach(option IN LISTS ARG_OPTIONS)
    if(option MATCHES "^(-o|--?header|--?emit)")
      message(FATAL_ERROR "dnnc_add_model(${ARG_TARGET}): OPTIONS must not choose the "
        "outputs (${option}); they are ${ARG_TARGET}.so and ${ARG_TARGET}.h")
    endif()
  endforeach()
  foreach(required dnnc::dnnc dnnc::runtime_headers)
    if(NOT TARGET ${required})
      message(FATAL_ERROR "dnnc_add_model: target ${required} is not defined; "
        "use find_package(dnnc) first")
    endif()
  endforeach()

  set(name "${ARG_TARGET}")
  get_filename_component(source "${ARG_SOURCE}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(dir "${CMAKE_CURRENT_BINARY_DIR}")
  set(library "${dir}/${name}.so")
  set(header "${dir}/${name}.h")
  get_property(extra_depends GLOBAL PROPERTY DNNC_MODEL_DEPENDS)

  add_custom_command(
    OUTPUT "${library}" "${header}"
    COMMAND dnnc::dnnc "${source}" -o "${library}" ${ARG_OPTIONS}
    DEPENDS "${source}" dnnc::dnnc ${extra_depends}
    COMMENT "Compiling model ${name} with dnnc"
    VERBATIM)
  add_custom_target(${name}_dnnc DEPENDS "${library}" "${header}")

  add_library(${name} INTERFACE)
  target_include_directories(${name} INTERFACE "${dir}")
  target_link_directories(${name} INTERFACE "${dir}")
  target_link_libraries(${name} INTERFACE "-l:${name}.so" dnnc::runtime_headers)
  add_dependencies(${name} ${name}_dnnc)
  set_target_properties(${name} PROPERTIES
    DNNC_MODEL_LIBRARY "${library}"
    DNNC_MODEL_HEADER "${header}")
endfunction()
