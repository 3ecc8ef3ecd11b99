# Warning flags for purr's own targets (PRIVATE: users never inherit them).
# The list follows Lua's: strict prototypes, shadowing, undefined macros.
set(PURR_WARNINGS -Wall -Wextra -Wshadow -Wundef -Wwrite-strings
    -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition)
if(PURR_WERROR)
  list(APPEND PURR_WARNINGS -Werror)
endif()

function(purr_target_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:${PURR_WARNINGS}>)
endfunction()
