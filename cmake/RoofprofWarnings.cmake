# Warning flags for project targets: -Wall -Wextra everywhere, -Werror when ROOFPROF_WERROR is on.
function(roofprof_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-psabi)
  if(ROOFPROF_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(ROOFPROF_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's -Wmaybe-uninitialized gives false positives under -fsanitize=address (its manual
    # says so), e.g. inside libstdc++'s <regex> at -O1 with g++ 12; the release build keeps it.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()

if(ROOFPROF_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
