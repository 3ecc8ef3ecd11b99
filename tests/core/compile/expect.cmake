# expect.cmake - compiles one file with -Werror and checks the outcome.
# -DCC=<compiler> -DSRC=<file.c> -DINC=<include dir> -DEXPECT=fail|pass
# A "fail" case must fail because of the unused checkpoint result, not for
# any other reason (a missing header would make it pass vacuously).
execute_process(
  COMMAND ${CC} -std=c11 -Wall -Wextra -Werror -I${INC} -c ${SRC}
          -o ${OUT}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(EXPECT STREQUAL "pass")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "expected ${SRC} to compile:\n${err}")
  endif()
else()
  if(rc EQUAL 0)
    message(FATAL_ERROR "expected ${SRC} to fail under -Werror")
  endif()
  if(NOT err MATCHES "unused-result|warn_unused_result|unused result")
    message(FATAL_ERROR "${SRC} failed, but not for its ignored "
                        "checkpoint result:\n${err}")
  endif()
  message(STATUS "failed as expected:\n${err}")
endif()
