# Writes the version header at build time (not configure time), so the git revision a binary reports
# is the one it was built from, with "-dirty" when the tree had uncommitted changes. The file is only
# rewritten when its content changes, so an unchanged tree does not rebuild.
# usage: cmake -DSRC=... -DIN=... -DOUT=... -DVERSION=... -P version.cmake
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SRC}
  OUTPUT_VARIABLE IOWALK_GIT_REV OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR IOWALK_GIT_REV STREQUAL "")
  set(IOWALK_GIT_REV "unknown")
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SRC}
    OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT dirty STREQUAL "")
    set(IOWALK_GIT_REV "${IOWALK_GIT_REV}-dirty")
  endif()
endif()
set(PROJECT_VERSION ${VERSION})
configure_file(${IN} ${OUT}.new @ONLY)
file(COPY_FILE ${OUT}.new ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.new)
