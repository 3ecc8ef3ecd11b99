# PurrSceneTest.cmake - CTest regression tests from purr scenes.
#
#   purr_add_scene_test(NAME <name> SCENE <file.yaml>
#                       [BASELINE <file.db>]
#                       [BEHAVIOURS <target> | LOAD <plugin-target-or-path>...]
#                       [SEEDS <n>...] [DURATION <t>] [LABELS <label>...]
#                       [EXPECT_DIVERGENCE])
#
# adds these tests:
#
#   <name>.seed<N>   `purr run SCENE --seed N` (one per SEEDS entry; without
#                    SEEDS one test, <name>.scene, with the scene's own
#                    seed): passes when every expectation of the scene holds.
#   <name>.baseline  with BASELINE: `purr replay BASELINE --check`, the
#                    recorded inputs fed to today's behaviours: passes when
#                    every transition is identical. A failure prints purr's
#                    divergence report (the first differing transition and
#                    the ten before it) into the CTest log, and writes
#                    JUnit XML to <build>/purr-junit/<name>.xml (beside what
#                    `ctest --output-junit` writes).
#
# and, with BASELINE, a build target <name>.rebaseline that records the
# baseline anew (`purr run SCENE --record BASELINE --force`, with the first
# of SEEDS), plus one target purr-rebaseline that re-records them all.
# Building it is the only way a baseline changes: the tests never write it.
# Only the first test that names a baseline file records it.
#
# EXPECT_DIVERGENCE: the baseline test passes only when the replay reports
# a divergence (not when it cannot run), for a deliberately changed build
# that the baseline must catch; such a test never records the baseline.
#
# Which program runs the scene:
#   BEHAVIOURS <target>  the team's own testbench executable, whose main()
#                        registers its behaviours and returns
#                        purr_main(argc, argv) (<purr/cli.h>);
#   LOAD <plugin>...     the stock `purr` (PURR_EXECUTABLE, or the `purr`
#                        target inside purr's own tree) with --load for
#                        each plug-in (a MODULE library target or a path);
#   neither              the stock `purr` alone (scenes whose behaviours it
#                        has, or whose `load:` key names their plug-ins).
# DURATION overrides the scene's duration (e.g. 2h) in the seed tests and
# the re-baselining. Relative SCENE and BASELINE paths are taken from the
# current source directory.
function(purr_add_scene_test)
  cmake_parse_arguments(PST "EXPECT_DIVERGENCE"
                        "NAME;SCENE;BASELINE;BEHAVIOURS;DURATION"
                        "LOAD;SEEDS;LABELS" ${ARGN})
  if(NOT PST_NAME OR NOT PST_SCENE)
    message(FATAL_ERROR "purr_add_scene_test: NAME and SCENE are required")
  endif()
  if(PST_BEHAVIOURS AND PST_LOAD)
    message(FATAL_ERROR "purr_add_scene_test(${PST_NAME}): give BEHAVIOURS "
                        "or LOAD, not both")
  endif()
  get_filename_component(scene "${PST_SCENE}" ABSOLUTE
                         BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")

  # The program and the arguments that bring the behaviours.
  if(PST_BEHAVIOURS)
    set(prog $<TARGET_FILE:${PST_BEHAVIOURS}>)
  elseif(TARGET purr)
    set(prog $<TARGET_FILE:purr>)
  elseif(PURR_EXECUTABLE)
    set(prog ${PURR_EXECUTABLE})
  else()
    message(FATAL_ERROR "purr_add_scene_test(${PST_NAME}): no purr "
                        "executable (find_package(purr) sets "
                        "PURR_EXECUTABLE)")
  endif()
  set(load_args "")
  foreach(p ${PST_LOAD})
    if(TARGET ${p})
      list(APPEND load_args --load $<TARGET_FILE:${p}>)
    else()
      get_filename_component(pabs "${p}" ABSOLUTE
                             BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
      list(APPEND load_args --load ${pabs})
    endif()
  endforeach()
  set(dur_args "")
  if(PST_DURATION)
    set(dur_args --duration ${PST_DURATION})
  endif()

  set(tests "")
  if(PST_SEEDS)
    foreach(seed ${PST_SEEDS})
      add_test(NAME ${PST_NAME}.seed${seed}
        COMMAND ${prog} run ${scene} --headless -q --seed ${seed}
                ${dur_args} ${load_args})
      list(APPEND tests ${PST_NAME}.seed${seed})
    endforeach()
    list(GET PST_SEEDS 0 first_seed)
    set(seed_args --seed ${first_seed})
  else()
    add_test(NAME ${PST_NAME}.scene
      COMMAND ${prog} run ${scene} --headless -q ${dur_args} ${load_args})
    list(APPEND tests ${PST_NAME}.scene)
    set(seed_args "")
  endif()

  if(PST_BASELINE)
    get_filename_component(baseline "${PST_BASELINE}" ABSOLUTE
                           BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    add_test(NAME ${PST_NAME}.baseline
      COMMAND ${prog} replay ${baseline} --check
              --junit ${CMAKE_BINARY_DIR}/purr-junit/${PST_NAME}.xml
              ${load_args})
    list(APPEND tests ${PST_NAME}.baseline)
    file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/purr-junit)
    if(PST_EXPECT_DIVERGENCE)
      # Passes on purr's divergence report only: a replay that cannot run
      # (a missing baseline, bad input) fails, as it should.
      set_tests_properties(${PST_NAME}.baseline PROPERTIES
        PASS_REGULAR_EXPRESSION ": DIVERGED at ")
    endif()
    get_property(recorded GLOBAL PROPERTY PURR_SCENE_TEST_BASELINES)
  endif()
  if(PST_BASELINE AND NOT PST_EXPECT_DIVERGENCE
     AND NOT baseline IN_LIST recorded)
    set_property(GLOBAL APPEND PROPERTY PURR_SCENE_TEST_BASELINES ${baseline})
    add_custom_target(${PST_NAME}.rebaseline
      COMMAND ${prog} run ${scene} --headless -q --record ${baseline}
              --force ${seed_args} ${dur_args} ${load_args}
      COMMENT "Recording the baseline ${PST_BASELINE} of ${PST_NAME}"
      VERBATIM)
    if(PST_BEHAVIOURS)
      add_dependencies(${PST_NAME}.rebaseline ${PST_BEHAVIOURS})
    endif()
    foreach(p ${PST_LOAD})
      if(TARGET ${p})
        add_dependencies(${PST_NAME}.rebaseline ${p})
      endif()
    endforeach()
    if(NOT TARGET purr-rebaseline)
      add_custom_target(purr-rebaseline)
    endif()
    add_dependencies(purr-rebaseline ${PST_NAME}.rebaseline)
  endif()

  # Headless everywhere: no window, no display needed.
  set_tests_properties(${tests} PROPERTIES
    ENVIRONMENT "SDL_VIDEODRIVER=dummy"
    LABELS "purr-scene;${PST_LABELS}")
endfunction()
