# PurrLayer.cmake - one function that builds a layer of purr the same way
# every time: a static library (purr_<layer>, what purr's own tests and
# benchmarks link, internal symbols included) and a shared library
# (purr_<layer>_shared, with a SONAME, what the `purr` executable and
# plug-ins link), both named libpurr_<layer>, both installed and exported
# as purr::<layer> (shared) and purr::<layer>_static.
#
# The floating-point rules of purr's code and of the code that links it:
# GCC contracts a*b + c into a fused multiply-add by default where the
# target has one (aarch64), which rounds once instead of twice, so the same
# source records other bits on another machine. Off, everywhere.
set(PURR_FP_FLAGS
  $<$<COMPILE_LANG_AND_ID:C,GNU,Clang,AppleClang>:-ffp-contract=off>
  $<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang,AppleClang>:-ffp-contract=off>)

# purr_add_layer(<layer> SOURCES <src>... [LAYERS <layer>...]
#                [PUBLIC_LIBS <lib>...] [PRIVATE_LIBS <lib>...])
#
# LAYERS are the purr layers this one may use (DESIGN's arrows): linking
# encodes them, so a layering violation fails to link. Each layer's
# targets go to their own export file, purr-<layer>-targets.cmake, so
# purrConfig.cmake loads only the components asked for.
function(purr_add_layer layer)
  cmake_parse_arguments(L "" "" "SOURCES;LAYERS;PUBLIC_LIBS;PRIVATE_LIBS"
                        ${ARGN})
  set(static purr_${layer})
  set(shared purr_${layer}_shared)
  add_library(${static} STATIC ${L_SOURCES})
  add_library(${shared} SHARED ${L_SOURCES})
  foreach(t ${static} ${shared})
    target_include_directories(${t}
      PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
             $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
      PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR})
    target_compile_definitions(${t} PRIVATE PURR_BUILDING)
    # No floating-point contraction, in purr and in whatever links it
    # (PUBLIC: exported with the targets), so a*b + c rounds the same on
    # every architecture (docs/determinism.md).
    target_compile_options(${t} PUBLIC ${PURR_FP_FLAGS})
    set_target_properties(${t} PROPERTIES
      C_VISIBILITY_PRESET hidden
      OUTPUT_NAME purr_${layer})
    purr_target_warnings(${t})
    target_link_libraries(${t} PUBLIC ${L_PUBLIC_LIBS}
                               PRIVATE ${L_PRIVATE_LIBS})
  endforeach()
  foreach(dep ${L_LAYERS})
    target_link_libraries(${static} PUBLIC purr_${dep})
    target_link_libraries(${shared} PUBLIC purr_${dep}_shared)
  endforeach()
  set_target_properties(${shared} PROPERTIES
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
    EXPORT_NAME ${layer})
  set_target_properties(${static} PROPERTIES EXPORT_NAME ${layer}_static)
  add_library(purr::${layer} ALIAS ${shared})
  add_library(purr::${layer}_static ALIAS ${static})
  install(TARGETS ${static} ${shared} EXPORT purr-${layer}-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(EXPORT purr-${layer}-targets NAMESPACE purr::
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/purr)
  set_property(GLOBAL APPEND PROPERTY PURR_LAYERS ${layer})
endfunction()

# purr_layer_pkgconfig(<layer> DESCRIPTION <text> [REQUIRES <pc>...]
#                      [REQUIRES_PRIVATE <pc>...] [LIBS_PRIVATE <flags>])
# Writes and installs purr-<layer>.pc. `pkg-config --libs purr-<layer>`
# links the shared libraries as printed (the purr layers it uses are in
# Requires); --static adds what the static archives need.
function(purr_layer_pkgconfig layer)
  cmake_parse_arguments(P "" "DESCRIPTION;LIBS_PRIVATE"
                        "REQUIRES;REQUIRES_PRIVATE" ${ARGN})
  string(REPLACE ";" ", " PC_REQUIRES "${P_REQUIRES}")
  string(REPLACE ";" ", " PC_REQUIRES_PRIVATE "${P_REQUIRES_PRIVATE}")
  set(PC_NAME purr-${layer})
  set(PC_LIB purr_${layer})
  set(PC_DESCRIPTION "${P_DESCRIPTION}")
  set(PC_LIBS_PRIVATE "${P_LIBS_PRIVATE}")
  # The prefix relative to the .pc file, however deep the libdir is
  # (lib, lib64, lib/x86_64-linux-gnu), so an installed tree can move.
  file(RELATIVE_PATH PC_PREFIX_REL
       "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  configure_file(${PROJECT_SOURCE_DIR}/cmake/purr-layer.pc.in
                 ${PROJECT_BINARY_DIR}/pkgconfig/purr-${layer}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/purr-${layer}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()
